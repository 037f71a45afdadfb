package io.plugmesh.kernel.upstream;

import io.netty.channel.Channel;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.plugmesh.config.UpstreamProtocol;
import java.util.List;

/**
 * Writes an attempt's request head for its hop: HTTP/1.1 framing of its own (chunked when a body of
 * unknown length follows), {@code Host} from the authority when the headers carry none.
 */
final class UpstreamRequestHead {
  private UpstreamRequestHead() {}

  /**
   * Writes the head (not flushed; the body's first write flushes it).
   *
   * @param channel the upstream channel
   * @param request what to send
   * @param protocol the upstream protocol
   * @param mayHaveBody whether a body follows
   */
  static void write(
      Channel channel, OutboundRequest request, UpstreamProtocol protocol, boolean mayHaveBody) {
    // On the channel's own loop the codec encodes the head inside write(): the request's headers
    // go out as they are and the few changes made for this hop are undone right after, so no
    // attempt copies them. Anywhere else the head is written from a copy.
    boolean inPlace = channel.eventLoop().inEventLoop();
    HttpHeaders headers =
        inPlace ? request.httpHeaders() : new DefaultHttpHeaders().add(request.httpHeaders());
    HttpRequest out =
        new DefaultHttpRequest(HttpVersion.HTTP_1_1, request.httpMethod(), request.path(), headers);
    boolean hostAdded = false;
    if (!headers.contains(HttpHeaderNames.HOST) && !request.authority().isEmpty()) {
      headers.set(HttpHeaderNames.HOST, request.authority());
      hostAdded = true;
    }
    List<String> transferEncoding = null;
    if (headers.contains(HttpHeaderNames.TRANSFER_ENCODING)) {
      transferEncoding = headers.getAll(HttpHeaderNames.TRANSFER_ENCODING);
      headers.remove(HttpHeaderNames.TRANSFER_ENCODING);
    }
    if (protocol == UpstreamProtocol.HTTP1 && !HttpUtil.isContentLengthSet(out) && mayHaveBody) {
      headers.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
    }
    channel.write(out);
    if (inPlace) {
      headers.remove(HttpHeaderNames.TRANSFER_ENCODING);
      if (transferEncoding != null) {
        headers.add(HttpHeaderNames.TRANSFER_ENCODING, transferEncoding);
      }
      if (hostAdded) {
        headers.remove(HttpHeaderNames.HOST);
      }
    }
  }
}
