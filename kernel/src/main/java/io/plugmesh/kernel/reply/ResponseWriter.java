package io.plugmesh.kernel.reply;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.plugmesh.filters.ProxyResponse;
import io.plugmesh.kernel.http.HeaderHygiene;
import io.plugmesh.kernel.upstream.Attempt;
import io.plugmesh.kernel.upstream.UpstreamResponse;
import java.util.Map;

/**
 * Writes one exchange's response downstream: an upstream response's head (hop-by-hop headers
 * removed, framing and {@code Connection} chosen for the client's protocol) and then its body
 * chunks as the attempt streams them, or a local answer whole (a trailers-only gRPC reply to a gRPC
 * request), or a {@code 100 Continue}. Keeps what the exchange reports: the status and the body
 * bytes sent, and whether the downstream connection stays open afterwards. Confined to the
 * downstream channel's event loop.
 */
public final class ResponseWriter {
  private final ChannelHandlerContext ctx;
  private final boolean http2;
  private HttpVersion version = HttpVersion.HTTP_1_1;
  private boolean keepAlive;
  private boolean headRequest;
  private boolean headWritten;
  private int status;
  private long bytesSent;

  /**
   * Creates the writer of one exchange.
   *
   * @param ctx the downstream connection or stream
   * @param http2 whether it is an HTTP/2 stream
   */
  public ResponseWriter(ChannelHandlerContext ctx, boolean http2) {
    this.ctx = ctx;
    this.http2 = http2;
  }

  /**
   * Takes what the response depends on from the request head: the protocol version, keep-alive, and
   * whether the method is {@code HEAD}.
   *
   * @param head the request head
   */
  public void start(HttpRequest head) {
    version = head.protocolVersion();
    keepAlive = !http2 && HttpUtil.isKeepAlive(head);
    headRequest = HttpMethod.HEAD.equals(head.method());
  }

  /**
   * Sends an upstream response: its head now, then its body as the attempt streams it (each chunk
   * through {@link #writeChunk}). Hop-by-hop headers are removed and, for HTTP/1.x, the framing and
   * the {@code Connection} header chosen. An HTTP/2 response that ended with its head (gRPC's
   * trailers-only errors) stays one HEADERS frame with END_STREAM: grpc-status must arrive in the
   * frame that ends the stream.
   *
   * @param upstream the response; its head's headers are changed in place
   * @param finished runs when the whole response was written
   */
  public void sendUpstream(UpstreamResponse upstream, Runnable finished) {
    HttpResponse up = upstream.head();
    status = up.status().code();
    HttpHeaders headers = up.headers();
    boolean bodyless =
        headRequest || status == 204 || status == 304 || (status >= 100 && status < 200);
    HeaderHygiene.stripHopByHop(headers);
    HttpResponse out;
    if (http2) {
      out = new DefaultHttpResponse(HttpVersion.HTTP_1_1, up.status(), headers);
    } else {
      if (!bodyless && !HttpUtil.isContentLengthSet(up)) {
        if (version.equals(HttpVersion.HTTP_1_0)) {
          keepAlive = false;
        } else {
          headers.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        }
      }
      prepareConnectionHeader(headers);
      out = new DefaultHttpResponse(version, up.status(), headers);
    }
    headWritten = true;
    Attempt a = upstream.attempt();
    if (http2 && a.takeHeadOnlyResponse()) {
      ctx.writeAndFlush(
              new DefaultFullHttpResponse(
                  HttpVersion.HTTP_1_1,
                  up.status(),
                  Unpooled.EMPTY_BUFFER,
                  headers,
                  EmptyHttpHeaders.INSTANCE))
          .addListener(
              (ChannelFutureListener)
                  f -> {
                    if (f.isSuccess()) {
                      finished.run();
                    } else {
                      a.abort();
                    }
                  });
      return;
    }
    ctx.write(out);
    a.streamResponse();
  }

  /**
   * Writes one response body chunk of an upstream attempt and flushes it. Once written the attempt
   * reads the next, or the last one finishes the response; a failed write aborts the attempt.
   *
   * @param attempt the attempt whose response streams
   * @param chunk the chunk; ownership moves to the channel
   * @param last whether it ends the body (HTTP/2 trailers lose hop-by-hop headers)
   * @param finished runs when the last chunk was written
   */
  public void writeChunk(Attempt attempt, HttpContent chunk, boolean last, Runnable finished) {
    bytesSent += chunk.content().readableBytes();
    if (last && http2 && chunk instanceof LastHttpContent l && !l.trailingHeaders().isEmpty()) {
      HeaderHygiene.stripHopByHop(l.trailingHeaders());
    }
    ctx.writeAndFlush(chunk)
        .addListener(
            (ChannelFutureListener)
                f -> {
                  if (!f.isSuccess()) {
                    attempt.abort();
                    return;
                  }
                  if (last) {
                    finished.run();
                  } else {
                    attempt.readMore();
                  }
                });
  }

  /**
   * Writes a local answer whole: to a gRPC request over HTTP/2 (other than 200) a trailers-only
   * gRPC reply, whose grpc-status a gRPC client reads (Envoy does the same; the access log and
   * metrics keep the HTTP status that explains it); otherwise the status, headers and body, with
   * the request id. A failed write closes the connection after the exchange.
   *
   * @param response the answer
   * @param head the request head, or null
   * @param written runs when it was written or failed
   */
  public void writeLocal(ProxyResponse response, HttpRequest head, Runnable written) {
    status = response.status();
    byte[] body = response.localBody().orElse(new byte[0]);
    ChannelFutureListener done =
        f -> {
          if (!f.isSuccess()) {
            keepAlive = false;
          }
          written.run();
        };
    if (http2 && status != 200 && GrpcLocalReply.isGrpc(head)) {
      FullHttpResponse grpc = GrpcLocalReply.of(status, body, response.headers());
      headWritten = true;
      ctx.writeAndFlush(grpc).addListener(done);
      return;
    }
    ByteBuf content = headRequest ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body);
    FullHttpResponse out =
        new DefaultFullHttpResponse(
            http2 ? HttpVersion.HTTP_1_1 : version, HttpResponseStatus.valueOf(status), content);
    HttpHeaders headers = out.headers();
    for (Map.Entry<String, String> h : response.headers()) {
      headers.add(h.getKey(), h.getValue());
    }
    HeaderHygiene.stripHopByHop(headers);
    headers.set(HttpHeaderNames.CONTENT_LENGTH, body.length);
    String requestId = head == null ? null : head.headers().get(HeaderHygiene.REQUEST_ID);
    if (requestId != null) {
      headers.set(HeaderHygiene.REQUEST_ID, requestId);
    }
    if (!http2) {
      prepareConnectionHeader(headers);
    }
    headWritten = true;
    bytesSent += content.readableBytes();
    ctx.writeAndFlush(out).addListener(done);
  }

  /** Tells a client that waits with its body to send it ({@code 100 Continue}). */
  public void writeContinue() {
    ctx.writeAndFlush(
        new DefaultFullHttpResponse(version, HttpResponseStatus.CONTINUE, Unpooled.EMPTY_BUFFER));
  }

  private void prepareConnectionHeader(HttpHeaders headers) {
    if (!keepAlive) {
      headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    } else if (version.equals(HttpVersion.HTTP_1_0)) {
      headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
    }
  }

  /**
   * Whether a response head went downstream; after that the exchange can only finish or cut.
   *
   * @return true once written
   */
  public boolean headWritten() {
    return headWritten;
  }

  /**
   * Whether the downstream connection stays open after this exchange (HTTP/1.x).
   *
   * @return true to keep it
   */
  public boolean keepAlive() {
    return keepAlive;
  }

  /** The downstream connection closes after this exchange. */
  public void noKeepAlive() {
    keepAlive = false;
  }

  /**
   * Whether the downstream is an HTTP/2 stream.
   *
   * @return true for HTTP/2
   */
  public boolean http2() {
    return http2;
  }

  /**
   * The client's protocol, as the access log names it.
   *
   * @return {@code HTTP/2}, {@code HTTP/1.1} or {@code HTTP/1.0}
   */
  public String protocol() {
    return http2 ? "HTTP/2" : version.text();
  }

  /**
   * The response status sent (0 before any).
   *
   * @return the status
   */
  public int status() {
    return status;
  }

  /**
   * The response body bytes sent.
   *
   * @return bytes
   */
  public long bytesSent() {
    return bytesSent;
  }
}
