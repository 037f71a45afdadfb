package io.plugmesh.kernel.proxy;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

/** Header rules every hop applies: hop-by-hop removal, forwarding headers, request ids. */
final class HeaderHygiene {
  private HeaderHygiene() {}

  /** Hop-by-hop headers (RFC 9110 7.6.1) plus legacy ones proxies must not forward. */
  private static final List<CharSequence> HOP_BY_HOP =
      List.of(
          HttpHeaderNames.CONNECTION,
          HttpHeaderNames.KEEP_ALIVE,
          HttpHeaderNames.PROXY_CONNECTION,
          HttpHeaderNames.PROXY_AUTHENTICATE,
          HttpHeaderNames.PROXY_AUTHORIZATION,
          HttpHeaderNames.TRANSFER_ENCODING,
          HttpHeaderNames.UPGRADE,
          HttpHeaderNames.EXPECT,
          "http2-settings");

  static final String REQUEST_ID = "x-request-id";
  static final String FORWARDED_FOR = "x-forwarded-for";
  static final String FORWARDED_PROTO = "x-forwarded-proto";

  /**
   * Removes hop-by-hop headers, including those the Connection header names. {@code te} survives
   * only as {@code trailers} (gRPC needs it).
   */
  static void stripHopByHop(HttpHeaders headers) {
    List<String> connection = headers.getAll(HttpHeaderNames.CONNECTION);
    for (String value : connection) {
      for (String token : value.split(",")) {
        String name = token.trim().toLowerCase(Locale.ROOT);
        if (!name.isEmpty() && !name.equals("te")) {
          headers.remove(name);
        }
      }
    }
    for (CharSequence name : HOP_BY_HOP) {
      headers.remove(name);
    }
    String te = headers.get(HttpHeaderNames.TE);
    if (te != null) {
      headers.remove(HttpHeaderNames.TE);
      if (te.toLowerCase(Locale.ROOT).contains("trailers")) {
        headers.set(HttpHeaderNames.TE, "trailers");
      }
    }
    headers.remove("x-http2-stream-id");
    headers.remove("x-http2-scheme");
    headers.remove("x-http2-path");
    headers.remove("x-http2-stream-dependency-id");
    headers.remove("x-http2-stream-weight");
  }

  /** Appends the client to {@code x-forwarded-for} and sets {@code x-forwarded-proto}. */
  static void setForwarded(HttpHeaders headers, String clientIp, String scheme) {
    String prior = headers.get(FORWARDED_FOR);
    if (headers.getAll(FORWARDED_FOR).size() > 1) {
      prior = String.join(", ", headers.getAll(FORWARDED_FOR));
    }
    headers.set(
        FORWARDED_FOR, prior == null || prior.isBlank() ? clientIp : prior + ", " + clientIp);
    headers.set(FORWARDED_PROTO, scheme);
  }

  /** Returns the request id, generating one (UUID v4 form) when the client sent none. */
  static String ensureRequestId(HttpHeaders headers) {
    String id = headers.get(REQUEST_ID);
    if (id != null && !id.isBlank() && id.length() <= 128) {
      return id;
    }
    id = randomUuid();
    headers.set(REQUEST_ID, id);
    return id;
  }

  private static String randomUuid() {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    long hi = (r.nextLong() & ~0xF000L) | 0x4000L;
    long lo = (r.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
    return new java.util.UUID(hi, lo).toString();
  }
}
