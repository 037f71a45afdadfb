package io.plugmesh.kernel.reply;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.plugmesh.filters.Headers;
import io.plugmesh.kernel.http.HeaderHygiene;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;

/**
 * Turns a local answer (404, 503, 504, a plugin's 401 or 429) to a gRPC request into a
 * trailers-only gRPC reply: HTTP 200, {@code grpc-status} mapped from the HTTP status as Envoy and
 * the gRPC HTTP mapping do, and the text as {@code grpc-message}.
 */
final class GrpcLocalReply {
  /** The longest {@code grpc-message} sent, in characters of the original text. */
  static final int MAX_MESSAGE_CHARS = 512;

  private GrpcLocalReply() {}

  static boolean isGrpc(HttpRequest head) {
    if (head == null) {
      return false;
    }
    String type = head.headers().get(HttpHeaderNames.CONTENT_TYPE);
    return type != null && type.toLowerCase(Locale.ROOT).startsWith("application/grpc");
  }

  /** The gRPC status code for an HTTP status of a local answer. */
  static int grpcStatus(int httpStatus) {
    return switch (httpStatus) {
      case 400 -> 13; // INTERNAL
      case 401 -> 16; // UNAUTHENTICATED
      case 403 -> 7; // PERMISSION_DENIED
      case 404, 501 -> 12; // UNIMPLEMENTED
      case 413 -> 8; // RESOURCE_EXHAUSTED
      case 429, 502, 503 -> 14; // UNAVAILABLE
      case 504 -> 4; // DEADLINE_EXCEEDED
      case 500 -> 13; // INTERNAL
      default -> 2; // UNKNOWN
    };
  }

  static FullHttpResponse of(int httpStatus, byte[] body, Headers extra) {
    FullHttpResponse out =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1, HttpResponseStatus.OK, Unpooled.EMPTY_BUFFER);
    HttpHeaders headers = out.headers();
    for (Map.Entry<String, String> h : extra) {
      String name = h.getKey();
      if (!name.equals("content-type") && !name.equals("content-length")) {
        headers.add(name, h.getValue());
      }
    }
    HeaderHygiene.stripHopByHop(headers);
    String text = new String(body, StandardCharsets.UTF_8).strip();
    if (text.length() > MAX_MESSAGE_CHARS) {
      text = text.substring(0, MAX_MESSAGE_CHARS);
    }
    headers
        .set(HttpHeaderNames.CONTENT_TYPE, "application/grpc")
        .set("grpc-status", Integer.toString(grpcStatus(httpStatus)))
        .set("grpc-message", percentEncode(text));
    return out;
  }

  /** gRPC's grpc-message encoding: percent-encode everything outside printable ASCII and '%'. */
  private static String percentEncode(String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    StringBuilder sb = new StringBuilder(bytes.length);
    for (byte b : bytes) {
      int c = b & 0xff;
      if (c >= 0x20 && c < 0x7f && c != '%') {
        sb.append((char) c);
      } else {
        sb.append('%')
            .append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
      }
    }
    return sb.toString();
  }
}
