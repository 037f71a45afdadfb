package io.plugmesh.kernel.upstream;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.plugmesh.config.UpstreamProtocol;
import io.plugmesh.filters.ProxyResponse;
import io.plugmesh.filters.advanced.ResponseFlag;
import io.plugmesh.filters.advanced.UpstreamException;
import io.plugmesh.kernel.body.RequestBody;
import io.plugmesh.kernel.body.ResponseBody;
import io.plugmesh.kernel.cluster.ClusterHealth;
import io.plugmesh.kernel.cluster.Endpoint;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * One upstream attempt of an exchange: acquires a channel, writes the request head and takes the
 * body from the {@link RequestBody}, delivers the response head to the chain, then streams the
 * response body (held in a {@link ResponseBody} until then) with backpressure. Lives on the
 * exchange's event loop; receives the upstream channel's inbound events while the channel is lent
 * to it (see {@link UpstreamChannel#attach}). Created by {@link Attempts}.
 */
@ChannelHandler.Sharable // attached again after a stale pooled connection; one channel at a time
public final class Attempt extends ChannelInboundHandlerAdapter implements RequestBody.Sink {
  /** How often a request is sent again, transparently, when a reused pooled connection was dead. */
  static final int MAX_STALE_CONNECTION_RETRIES = 2;

  /**
   * Methods safe to send again when a reused connection died before any answer (RFC 9110 9.2.2).
   */
  private static final Set<String> IDEMPOTENT =
      Set.of("GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE");

  private final Attempts.Owner owner;
  private final RequestBody requestBody;
  private final ResponseBody responseBody;
  private final Endpoint endpoint;
  private final UpstreamTarget target;
  private final OutboundRequest request;
  private final UpstreamConnector connector;
  private final ClusterHealth health;
  private final boolean retry;
  private boolean waitingForConnection;
  private final CompletableFuture<ProxyResponse> response = new CompletableFuture<>();

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
      Attempts.Owner owner,
      RequestBody requestBody,
      Endpoint endpoint,
      UpstreamTarget target,
      OutboundRequest request,
      UpstreamConnector connector,
      ClusterHealth health,
      boolean retry) {
    this.owner = owner;
    this.requestBody = requestBody;
    this.responseBody = new ResponseBody((chunk, last) -> owner.writeResponse(this, chunk, last));
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
            owner.loop().execute(this::abort);
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
    Future<UpstreamChannel> f = connector.acquire(owner.loop(), target);
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
    requestDone = false;
    UpstreamRequestHead.write(channel, request, target.protocol(), requestBody.mayHaveBody());
    requestBody.send(this);
    channel.read();
  }

  @Override
  public boolean open() {
    return !finished;
  }

  /** Writes one request body chunk (whole or streamed); the chunk's ownership moves here. */
  @Override
  public void write(HttpContent chunk, boolean last) {
    channel
        .writeAndFlush(chunk)
        .addListener(
            (ChannelFutureListener)
                f -> {
                  if (f.isSuccess()) {
                    if (last) {
                      requestDone = true;
                    }
                    requestBody.chunkWritten(this, last);
                    maybeRelease();
                  } else {
                    requestBody.stopped(this);
                    onBroken(f.cause());
                  }
                });
  }

  // ---------------------------------------------------------------------------------------------
  // Upstream inbound

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (finished) {
      ResponseBody.drop(msg);
      return;
    }
    if (msg instanceof HttpResponse head && !headReceived) {
      int code = head.status().code();
      if (code >= 100 && code < 200 && code != 101) {
        ResponseBody.drop(msg);
        channel.read();
        return;
      }
      headReceived = true;
      headStatus = code;
      upstreamKeepAlive = HttpUtil.isKeepAlive(head);
      if (health != null) {
        health.onResult(endpoint, code, null);
      }
      owner.upstreamHeadArrived();
      UpstreamResponse r = new UpstreamResponse(responseBody.head(head), this);
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
        responseBody.hold(content);
      }
      return;
    }
    ResponseBody.drop(msg);
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
          && requestBody.replayable()
          && IDEMPOTENT.contains(request.httpMethod().name())
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
      return; // everything arrived; the rest is held in the response body
    }
    if (streaming) {
      endFailure = cutMidResponse();
      finishAttempt(false);
      owner.upstreamFailedMidResponse(ResponseFlag.UPSTREAM_CONNECTION_TERMINATION);
    } else {
      // The head is with the chain; the body broke. Sending it will cut the downstream.
      responseBody.markBroken();
      detach(false);
    }
  }

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
  public void streamResponse() {
    streaming = true;
    HttpContent c;
    boolean sent = false;
    while ((c = responseBody.next()) != null) {
      deliver(c);
      sent = true;
    }
    if (responseBody.broken()) {
      endFailure = cutMidResponse();
      finishAttempt(false);
      owner.upstreamFailedMidResponse(ResponseFlag.UPSTREAM_CONNECTION_TERMINATION);
      return;
    }
    if (!sent && !responseDone && channel != null) {
      channel.read();
    }
  }

  /**
   * The exchange sends the head as the whole response: when the response ended with its head (no
   * body, no trailers), ends the attempt without streaming and returns true.
   *
   * @return whether the head is the whole response
   */
  public boolean takeHeadOnlyResponse() {
    if (!responseBody.takeHeadOnly()) {
      return false;
    }
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
    responseBody.send(content, last);
  }

  /** The downstream took the last chunk: read the next one. */
  public void readMore() {
    if (!finished && !responseDone && channel != null && responseBody.isEmpty()) {
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
      responseBody.release();
      return;
    }
    boolean clean = requestDone && responseDone && upstreamKeepAlive && !responseBody.broken();
    responseBody.release();
    finishAttempt(clean);
  }

  /** Cuts this attempt now (downstream gone, write failed, cancelled). */
  public void abort() {
    if (finished) {
      responseBody.release();
      return;
    }
    if (endFailure == null && !(headReceived && responseDone)) {
      endFailure = new CancellationException("the attempt was aborted");
    }
    responseBody.release();
    finishAttempt(false);
    if (!response.isDone()) {
      response.completeExceptionally(
          new UpstreamException(UpstreamException.Kind.RESET, "attempt aborted"));
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
    requestBody.stopped(this);
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
