package io.plugmesh.kernel.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.plugmesh.config.UpstreamProtocol;
import io.plugmesh.filters.ProxyResponse;
import io.plugmesh.filters.ResponseFlag;
import io.plugmesh.filters.UpstreamException;
import io.plugmesh.kernel.cluster.ClusterHealth;
import io.plugmesh.kernel.cluster.Endpoint;
import io.plugmesh.kernel.upstream.UpstreamChannel;
import io.plugmesh.kernel.upstream.UpstreamConnector;
import io.plugmesh.kernel.upstream.UpstreamTarget;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * One upstream attempt of an exchange: acquires a channel, writes the request head and body,
 * delivers the response head to the chain, then streams the response body with backpressure. Lives
 * on the exchange's event loop; receives the upstream channel's inbound events while the channel is
 * lent to it (see {@link UpstreamChannel#attach}).
 */
@ChannelHandler.Sharable // attached again after a stale pooled connection; one channel at a time
final class Attempt extends ChannelInboundHandlerAdapter {
  /** How often a request is sent again, transparently, when a reused pooled connection was dead. */
  static final int MAX_STALE_CONNECTION_RETRIES = 2;

  /**
   * Methods safe to send again when a reused connection died before any answer (RFC 9110 9.2.2).
   */
  private static final java.util.Set<String> IDEMPOTENT =
      java.util.Set.of("GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE");

  private final Exchange exchange;
  private final Endpoint endpoint;
  private final UpstreamTarget target;
  private final KernelRequest request;
  private final UpstreamConnector connector;
  private final ClusterHealth health;
  private final boolean retry;
  private boolean waitingForConnection;
  private final CompletableFuture<ProxyResponse> response = new CompletableFuture<>();
  private final ArrayDeque<HttpContent> pending = new ArrayDeque<>(4);

  private UpstreamChannel lent;
  private Channel channel;
  private boolean headReceived;
  private boolean requestDone;
  private boolean responseDone;
  private boolean streaming;
  private boolean finished;
  private boolean discarded;
  private boolean upstreamKeepAlive = true;
  private int staleRetries;
  private UpstreamException.Kind resetKind = UpstreamException.Kind.RESET;
  private AttemptView view;
  private int headStatus;
  private Throwable endFailure;

  Attempt(
      Exchange exchange,
      Endpoint endpoint,
      UpstreamTarget target,
      KernelRequest request,
      UpstreamConnector connector,
      ClusterHealth health,
      boolean retry) {
    this.exchange = exchange;
    this.connector = connector;
    this.health = health;
    this.retry = retry;
    this.endpoint = endpoint;
    this.target = target;
    this.request = request;
  }

  String endpointText() {
    return target.address();
  }

  /** Reports this attempt's end to the view attempt listeners saw (null: nobody listens). */
  void observe(AttemptView view) {
    this.view = view;
  }

  boolean isDiscarded() {
    return discarded;
  }

  CompletionStage<ProxyResponse> start() {
    endpoint.requestStarted();
    response.whenComplete(
        (r, e) -> {
          if (response.isCancelled()) {
            exchange.loop().execute(this::abort);
          }
        });
    acquire();
    return response;
  }

  private void acquire() {
    if (health != null) {
      UpstreamException overflow = health.startPending();
      if (overflow != null) {
        fail(overflow);
        return;
      }
      waitingForConnection = true;
    }
    Future<UpstreamChannel> f = connector.acquire(exchange.loop(), target);
    f.addListener(
        (Future<UpstreamChannel> done) -> {
          stopWaiting();
          if (!done.isSuccess()) {
            Throwable cause = done.cause();
            fail(
                cause instanceof UpstreamException up
                    ? up
                    : new UpstreamException(
                        UpstreamException.Kind.CONNECT_FAILURE,
                        "upstream connect error to " + target.address() + ": " + cause));
            return;
          }
          UpstreamChannel got = done.getNow();
          if (finished) {
            got.release(true);
            return;
          }
          lent = got;
          channel = got.channel();
          got.attach(this);
          writeHead();
        });
  }

  private void writeHead() {
    HttpRequest in = request.head();
    // On the channel's own loop the codec encodes the head inside write(): the request's headers
    // go out as they are and the few changes made for this hop are undone right after, so no
    // attempt copies them. Anywhere else the head is written from a copy.
    boolean inPlace = channel.eventLoop().inEventLoop();
    HttpHeaders headers = inPlace ? in.headers() : new DefaultHttpHeaders().add(in.headers());
    HttpRequest out =
        new DefaultHttpRequest(HttpVersion.HTTP_1_1, in.method(), request.path(), headers);
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
    requestDone = false;
    if (target.protocol() == UpstreamProtocol.HTTP1 && !HttpUtil.isContentLengthSet(out)) {
      if (exchange.requestMayHaveBody()) {
        headers.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
      }
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
    exchange.sendBody(this);
    channel.read();
  }

  /** Writes a complete body (replayable or empty); the buffer's ownership moves here. */
  void writeBuffered(ByteBuf body, HttpHeaders trailers) {
    if (finished) {
      body.release();
      return;
    }
    HttpContent last;
    if (!trailers.isEmpty()) {
      last = new DefaultLastHttpContent(body, new DefaultHttpHeaders().add(trailers));
    } else if (body.isReadable()) {
      last = new DefaultLastHttpContent(body, EmptyHttpHeaders.INSTANCE);
    } else {
      body.release();
      last = LastHttpContent.EMPTY_LAST_CONTENT;
    }
    channel
        .writeAndFlush(last)
        .addListener(
            (ChannelFutureListener)
                f -> {
                  if (f.isSuccess()) {
                    requestDone = true;
                    maybeRelease();
                  } else {
                    onBroken(f.cause());
                  }
                });
  }

  /** Writes one streamed body chunk; the content's ownership moves here. */
  void writeBody(HttpContent content, boolean last) {
    if (finished) {
      content.release();
      exchange.streamingStopped(this);
      return;
    }
    HttpContent out = content;
    if (last && !(content instanceof LastHttpContent)) {
      out = new DefaultLastHttpContent(content.content());
    }
    channel
        .writeAndFlush(out)
        .addListener(
            (ChannelFutureListener)
                f -> {
                  if (f.isSuccess()) {
                    if (last) {
                      requestDone = true;
                    }
                    exchange.requestChunkWritten(this, last);
                    maybeRelease();
                  } else {
                    exchange.streamingStopped(this);
                    onBroken(f.cause());
                  }
                });
  }

  // ---------------------------------------------------------------------------------------------
  // Upstream inbound

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (finished) {
      ReferenceCountUtil.release(msg);
      return;
    }
    if (msg instanceof HttpResponse head && !headReceived) {
      int code = head.status().code();
      if (code >= 100 && code < 200 && code != 101) {
        ReferenceCountUtil.release(msg);
        channel.read();
        return;
      }
      headReceived = true;
      headStatus = code;
      upstreamKeepAlive = HttpUtil.isKeepAlive(head);
      if (health != null) {
        health.onResult(endpoint, code, null);
      }
      exchange.upstreamHeadArrived();
      HttpResponse onlyHead = head;
      if (msg instanceof FullHttpResponse full) {
        onlyHead = new DefaultHttpResponse(full.protocolVersion(), full.status(), full.headers());
        pending.add(new DefaultLastHttpContent(full.content(), full.trailingHeaders()));
      }
      UpstreamResponse r = new UpstreamResponse(onlyHead, this);
      if (!response.complete(r)) {
        abort();
      }
      return;
    }
    if (msg instanceof HttpContent content && headReceived) {
      if (content instanceof LastHttpContent) {
        responseDone = true;
      }
      if (streaming) {
        deliver(content);
      } else {
        pending.add(content);
      }
      return;
    }
    ReferenceCountUtil.release(msg);
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof Http2ResetFrame reset) {
      if (reset.errorCode() == Http2Error.REFUSED_STREAM.code()) {
        resetKind = UpstreamException.Kind.REFUSED_STREAM;
      }
      ReferenceCountUtil.release(evt);
      return;
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    onBroken(null);
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    onBroken(cause);
  }

  private void onBroken(Throwable cause) {
    if (finished) {
      return;
    }
    if (!headReceived) {
      if (lent != null
          && lent.reused()
          && target.protocol() == UpstreamProtocol.HTTP1
          && staleRetries < MAX_STALE_CONNECTION_RETRIES
          && exchange.replayable()
          && IDEMPOTENT.contains(request.method())
          && !response.isDone()) {
        // The pool lent a connection the upstream had already closed: try a fresh one.
        staleRetries++;
        detach(false);
        acquire();
        return;
      }
      fail(
          new UpstreamException(
              resetKind,
              "upstream "
                  + target.address()
                  + " reset before the response head"
                  + (cause == null ? "" : ": " + cause.getMessage())));
      return;
    }
    if (responseDone && !streaming) {
      return; // everything arrived; the rest is in pending
    }
    if (streaming) {
      endFailure = cutMidResponse();
      finishAttempt(false);
      exchange.upstreamFailedMidResponse(ResponseFlag.UPSTREAM_CONNECTION_TERMINATION);
    } else {
      // The head is with the chain; the body broke. Sending it will cut the downstream.
      pending.add(BROKEN);
      detach(false);
    }
  }

  /** A marker for a body that broke before it was streamed. */
  private static final HttpContent BROKEN =
      new io.netty.handler.codec.http.DefaultHttpContent(io.netty.buffer.Unpooled.EMPTY_BUFFER);

  private void stopWaiting() {
    if (waitingForConnection) {
      waitingForConnection = false;
      health.pendingFinished();
    }
  }

  private void fail(UpstreamException e) {
    if (health != null && !response.isDone()) {
      health.onResult(endpoint, 0, e.kind());
    }
    if (endFailure == null) {
      endFailure = e;
    }
    finishAttempt(false);
    response.completeExceptionally(e);
  }

  // ---------------------------------------------------------------------------------------------
  // Response streaming

  /** The exchange sent the head downstream: stream the body. */
  void streamResponse() {
    streaming = true;
    HttpContent c;
    boolean sent = false;
    while ((c = pending.pollFirst()) != null) {
      if (c == BROKEN) {
        endFailure = cutMidResponse();
        finishAttempt(false);
        exchange.upstreamFailedMidResponse(ResponseFlag.UPSTREAM_CONNECTION_TERMINATION);
        return;
      }
      deliver(c);
      sent = true;
    }
    if (!sent && !responseDone && channel != null) {
      channel.read();
    }
  }

  /**
   * The exchange sends the head as the whole response: when the response ended with its head (no
   * body, no trailers), ends the attempt without streaming and returns true.
   */
  boolean takeHeadOnlyResponse() {
    HttpContent end = pending.peekFirst();
    if (pending.size() != 1
        || !(end instanceof LastHttpContent last)
        || last.content().isReadable()
        || !last.trailingHeaders().isEmpty()) {
      return false;
    }
    pending.pollFirst().release();
    responseDone = true;
    streaming = true;
    maybeRelease();
    return true;
  }

  private void deliver(HttpContent content) {
    boolean last = content instanceof LastHttpContent;
    if (last) {
      responseDone = true;
      maybeRelease();
    }
    exchange.writeResponseContent(this, content, last);
  }

  /** The downstream took the last chunk: read the next one. */
  void readMore() {
    if (!finished && !responseDone && channel != null && pending.isEmpty()) {
      channel.read();
    }
  }

  private void maybeRelease() {
    if (requestDone && responseDone && !finished && streaming) {
      finishAttempt(upstreamKeepAlive);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Ending

  /** Drops this attempt's response (a retry, a timeout); closes the connection unless clean. */
  void discard() {
    if (discarded) {
      return;
    }
    discarded = true;
    if (!headReceived && endFailure == null) {
      endFailure = new CancellationException("the attempt was dropped before its response");
    }
    if (!response.isDone()) {
      response.cancel(false);
    }
    if (finished) {
      releasePending();
      return;
    }
    boolean clean = requestDone && responseDone && upstreamKeepAlive && !pending.contains(BROKEN);
    releasePending();
    finishAttempt(clean);
  }

  /** Cuts this attempt now (downstream gone, write failed, cancelled). */
  void abort() {
    if (finished) {
      releasePending();
      return;
    }
    if (endFailure == null && !(headReceived && responseDone)) {
      endFailure = new CancellationException("the attempt was aborted");
    }
    releasePending();
    finishAttempt(false);
    if (!response.isDone()) {
      response.completeExceptionally(
          new UpstreamException(UpstreamException.Kind.RESET, "attempt aborted"));
    }
  }

  private void releasePending() {
    HttpContent c;
    while ((c = pending.pollFirst()) != null) {
      if (c != BROKEN) {
        c.release();
      }
    }
  }

  private void finishAttempt(boolean reusable) {
    if (finished) {
      return;
    }
    finished = true;
    endpoint.requestFinished();
    stopWaiting();
    if (health != null) {
      health.requestFinished(retry);
    }
    exchange.streamingStopped(this);
    detach(reusable);
    if (view != null) {
      view.ended(headStatus, endFailure);
    }
  }

  private UpstreamException cutMidResponse() {
    return new UpstreamException(
        UpstreamException.Kind.RESET, "upstream " + target.address() + " cut the response body");
  }

  private void detach(boolean reusable) {
    if (lent == null) {
      return;
    }
    UpstreamChannel l = lent;
    lent = null;
    l.release(reusable && requestDone && responseDone);
  }
}
