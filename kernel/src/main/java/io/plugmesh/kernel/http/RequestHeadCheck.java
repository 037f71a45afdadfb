package io.plugmesh.kernel.http;

import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.plugmesh.config.Limits;

/**
 * The checks a request head passes before it is routed: it decoded, stays within the {@link Limits}
 * (header count, target length), is not {@code CONNECT}, has an origin- or absolute-form target,
 * and (HTTP/1.x) exactly one {@code Host}. A head that fails gets a {@link Refusal}.
 */
public final class RequestHeadCheck {
  /** The most characters of a client's text echoed in an answer. */
  static final int MAX_ECHOED_CHARS = 200;

  private RequestHeadCheck() {}

  /**
   * The answer to a refused head.
   *
   * @param status the HTTP status
   * @param text the response body
   * @param close whether the connection must close after the answer (the framing cannot be trusted)
   */
  public record Refusal(int status, String text, boolean close) {}

  /**
   * Checks a request head.
   *
   * @param head the head as decoded
   * @param limits the protocol bounds
   * @param http2 whether the head arrived on an HTTP/2 stream
   * @return the refusal, or null when the head is acceptable
   */
  public static Refusal check(HttpRequest head, Limits limits, boolean http2) {
    DecoderResult result = head.decoderResult();
    if (result.isFailure()) {
      Throwable cause = result.cause();
      if (cause instanceof TooLongHttpLineException) {
        return new Refusal(
            414, "request target too long (limit " + limits.maxUriBytes() + " bytes)\n", true);
      }
      if (cause instanceof TooLongHttpHeaderException || cause instanceof TooLongFrameException) {
        return new Refusal(
            431,
            "request header block too large (limit " + limits.maxHeaderBytes() + " bytes)\n",
            true);
      }
      return new Refusal(400, "malformed request: " + printable(cause.getMessage()) + "\n", true);
    }
    if (head.headers().size() > limits.maxHeaderCount()) {
      return new Refusal(
          431, "too many request headers (limit " + limits.maxHeaderCount() + ")\n", true);
    }
    String uri = head.uri();
    if (uri.length() > limits.maxUriBytes()) {
      return new Refusal(
          414, "request target too long (limit " + limits.maxUriBytes() + " bytes)\n", true);
    }
    if (HttpMethod.CONNECT.equals(head.method())) {
      return new Refusal(501, "CONNECT is not supported\n", false);
    }
    if (!uri.startsWith("/") && !uri.startsWith("http://") && !uri.startsWith("https://")) {
      return new Refusal(
          400, "unsupported request target (expected: origin-form or absolute-form)\n", true);
    }
    if (!http2) {
      int hosts = head.headers().getAll(HttpHeaderNames.HOST).size();
      if (hosts > 1 || (hosts == 0 && head.protocolVersion().equals(HttpVersion.HTTP_1_1))) {
        return new Refusal(400, "exactly one Host header is required\n", true);
      }
    }
    return null;
  }

  /**
   * A client's text made safe to echo in an answer: printable ASCII, at most {@value
   * #MAX_ECHOED_CHARS} characters.
   *
   * @param text the text, or null
   * @return the printable text ({@code invalid framing} for null)
   */
  public static String printable(String text) {
    if (text == null) {
      return "invalid framing";
    }
    String s = text.replaceAll("[^\\x20-\\x7e]", "?");
    return s.length() > MAX_ECHOED_CHARS ? s.substring(0, MAX_ECHOED_CHARS) : s;
  }
}
