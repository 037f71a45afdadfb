package io.plugmesh.kernel.proxy;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.plugmesh.config.Limits;
import io.plugmesh.config.route.CompiledRoute;
import io.plugmesh.filters.ProxyRequest;
import io.plugmesh.filters.ProxyResponse;
import io.plugmesh.filters.advanced.ResponseFlag;
import io.plugmesh.filters.advanced.UpstreamException;
import io.plugmesh.kernel.body.RequestBody;
import io.plugmesh.kernel.chain.ChainCall;
import io.plugmesh.kernel.cluster.Endpoint;
import io.plugmesh.kernel.http.RequestHeadCheck;
import io.plugmesh.kernel.reply.ResponseWriter;
import io.plugmesh.kernel.state.Snapshot;
import io.plugmesh.kernel.timer.LoopDeadlines;
import io.plugmesh.kernel.upstream.Attempt;
import io.plugmesh.kernel.upstream.Attempts;
import io.plugmesh.kernel.upstream.UpstreamResponse;
import io.plugmesh.pluginruntime.BuiltChain;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * One request and its response on one downstream connection or stream, in order: the head is
 * checked and routed ({@link Routing}), the route's chain runs ({@link ChainCall}), its filters'
 * attempts go upstream ({@link Attempts}), and the answer goes back ({@link ResponseWriter}); the
 * bodies move between them through {@link RequestBody} and the attempts' response bodies, which own
 * every buffer. This class decides what happens when, and has the exchange reported once at its end
 * ({@link ExchangeRecord}). Confined to the downstream channel's event loop.
 */
final class Exchange extends LoopDeadlines.Entry implements RequestBody.Source, Attempts.Owner {
  private enum State {
    HEAD,
    PREBODY,
    CHAIN,
    RESPONDING,
    DONE
  }

  private final ProxyHandler owner;
  private final ListenerContext listener;
  private final ChannelHandlerContext ctx;
  private final EventLoop loop;
  private final boolean http2;
  private final InetSocketAddress client;
  private final String peerIdentity;
  private final Limits limits;
  private final RequestBody body;
  private final ResponseWriter writer;
  private final ExchangeRecord record;
  private final Runnable finished = this::finishResponse;

  private State state = State.HEAD;
  private HttpRequest head;
  private boolean expectContinue;
  private Routing.Routed routed;
  private ChainCall chainCall;

  /** When the route timeout passes, in {@link System#nanoTime()} terms. */
  private long deadline;

  private Attempts attempts;

  Exchange(
      ProxyHandler owner,
      ListenerContext listener,
      ChannelHandlerContext ctx,
      boolean http2,
      InetSocketAddress client,
      String peerIdentity) {
    this.owner = owner;
    this.listener = listener;
    this.ctx = ctx;
    this.loop = ctx.channel().eventLoop();
    this.http2 = http2;
    this.client = client;
    this.peerIdentity = peerIdentity;
    this.limits = listener.runtime().limits();
    this.body = new RequestBody(ctx.alloc(), this);
    this.writer = new ResponseWriter(ctx, http2);
    this.record = new ExchangeRecord(listener, peerIdentity);
  }

  @Override
  public EventLoop loop() {
    return loop;
  }

  // ---------------------------------------------------------------------------------------------
  // Request head: check, route, then the body's plan

  void start(HttpRequest msg) {
    head = msg;
    Snapshot snapshot = listener.runtime().snapshot();
    writer.start(msg);
    body.start(msg);
    expectContinue = !http2 && !body.complete() && HttpUtil.is100ContinueExpected(msg);
    Routing routing =
        Routing.route(snapshot, listener, msg, body, http2, client, owner.clientIp(), peerIdentity);
    if (routing instanceof Routing.Refused refused) {
      if (refused.close()) {
        writer.noKeepAlive();
      }
      reject(refused.status(), refused.text());
      return;
    }
    if (routing instanceof Routing.Unrouted unrouted) {
      record.flag(ResponseFlag.NO_ROUTE_FOUND);
      respondLocal(ProxyResponse.of(404, unrouted.answer()), false);
      return;
    }
    routed = (Routing.Routed) routing;
    attempts = new Attempts(this, body, routed.cluster(), listener.runtime().connector());
    CompiledRoute route = routed.route();
    Duration routeTimeout =
        route.config().timeout() != null ? route.config().timeout() : limits.defaultRouteTimeout();
    deadline = System.nanoTime() + routeTimeout.toNanos();
    LoopDeadlines.of(loop).start(this, routeTimeout.toNanos());

    BuiltChain chain = routed.chain();
    int buffered = chain.bufferedBodyBytes();
    body.limits(buffered, chain.replayBytes());
    if (!body.complete()) {
      long contentLength = HttpUtil.getContentLength(msg, -1L);
      if (buffered > 0 && contentLength > buffered) {
        reject(413, "request body of " + contentLength + " bytes exceeds " + buffered + "\n");
        return;
      }
      boolean mayHaveBody = http2 || contentLength > 0 || HttpUtil.isTransferEncodingChunked(msg);
      if (!mayHaveBody || body.prebuffers()) {
        state = State.PREBODY;
        readBody();
        return;
      }
      body.streamOnce();
    }
    runChain();
  }

  /** Answers a request the proxy refuses before routing; the body is not read. */
  private void reject(int code, String text) {
    record.flag(ResponseFlag.LOCAL_RESPONSE);
    if (!body.complete() && !http2) {
      writer.noKeepAlive();
    }
    respondLocal(ProxyResponse.of(code, text), false);
  }

  // ---------------------------------------------------------------------------------------------
  // Request body: where each chunk goes depends on the exchange's state

  void onRequestContent(HttpContent content) {
    if (content.decoderResult().isFailure()) {
      onMalformedBody(body.dropMalformed(content));
      return;
    }
    boolean last = body.received(content);
    switch (state) {
      case PREBODY -> {
        switch (body.prebuffer(content, last)) {
          case TOO_LARGE ->
              reject(
                  413, "request body exceeds " + routed.chain().bufferedBodyBytes() + " bytes\n");
          case READY -> runChain();
          case MORE -> owner.read();
        }
      }
      case DONE -> drain(content, last);
      default -> {
        if (body.streaming()) {
          body.stream(content, last);
        } else if (body.draining()) {
          drain(content, last);
        } else {
          // Not asked for: hold nothing, lose nothing. Should not happen with explicit reads.
          body.drop(content);
          abortDownstream();
        }
      }
    }
  }

  /**
   * The body's framing broke (a bad chunk): the decoder ends it with a failed last content. The
   * body is cut short, so it must never be completed upstream: a streaming attempt is dropped with
   * its connection (the upstream sees a truncated request, never a complete one), the client gets
   * 400 if nothing was answered yet, and the connection is closed.
   */
  private void onMalformedBody(Throwable cause) {
    writer.noKeepAlive();
    if (state == State.DONE || writer.headWritten()) {
      abortDownstream();
      return;
    }
    reject(400, "malformed request body: " + RequestHeadCheck.printable(cause.getMessage()) + "\n");
  }

  private void drain(HttpContent content, boolean last) {
    switch (body.drain(content, last)) {
      case DONE -> {
        if (state == State.DONE) {
          owner.exchangeDone(this, writer.keepAlive());
        }
      }
      case OVER_LIMIT -> ctx.close();
      case MORE -> owner.read();
    }
  }

  /**
   * Asks the downstream for request body bytes. A client that sent {@code Expect: 100-continue}
   * holds its body until told to go on, so it is told here, once the request was accepted and
   * routed; a request refused before this never invites its body.
   */
  @Override
  public void readBody() {
    if (state == State.DONE) {
      return;
    }
    if (expectContinue) {
      expectContinue = false;
      writer.writeContinue();
    }
    owner.read();
  }

  @Override
  public void cutShort() {
    writer.noKeepAlive();
  }

  // ---------------------------------------------------------------------------------------------
  // Chain and attempts

  private void runChain() {
    state = State.CHAIN;
    chainCall = new ChainCall(routed.chain(), routed.route().name(), listener.runtime().causeLog());
    String quarantined = listener.runtime().quarantinedPlugin(routed.chain());
    if (quarantined != null) {
      record.flag(ResponseFlag.LOCAL_RESPONSE);
      respondLocal(
          ProxyResponse.of(
              503,
              "plugin '"
                  + quarantined
                  + "' is quarantined on route '"
                  + routed.route().name()
                  + "': it blocked an event loop (limits.blockedLoopThreshold); it runs again"
                  + " after the next config change\n"),
          true);
      return;
    }
    chainCall.start(
        routed.request(), this::sendAttempt, loop, listener.runtime().watch(), this::onChainResult);
  }

  /**
   * Whether the route timeout has passed although its timer has not run: a plugin kept the loop
   * busy past it. The timeout then answers, not a late response.
   */
  private boolean overdue() {
    return System.nanoTime() - deadline >= 0;
  }

  /**
   * The chain's terminal. The chain runner calls it on this exchange's event loop, also when a
   * filter proceeds from a timer or a client library's thread (it hops home first).
   */
  private CompletionStage<ProxyResponse> sendAttempt(ProxyRequest sent) {
    if (state != State.CHAIN) {
      return CompletableFuture.failedFuture(
          new UpstreamException(UpstreamException.Kind.RESET, "exchange already finished"));
    }
    if (overdue()) {
      // Nothing goes upstream after the deadline; the timeout answers the client.
      return CompletableFuture.failedFuture(
          new UpstreamException(UpstreamException.Kind.TIMEOUT, "route timeout elapsed"));
    }
    return attempts.send(routed.request().outbound(sent));
  }

  @Override
  public void attemptStarting(Endpoint endpoint, int number) {
    if (number > 1) {
      record.unflag(ResponseFlag.UPSTREAM_CONNECTION_FAILURE);
      listener.runtime().upstreamRetried(routed.route().name(), routed.cluster().config().name());
    }
    record.upstreamHost(endpoint.address());
  }

  @Override
  public void upstreamHeadArrived() {
    record.upstreamHeadArrived();
  }

  private void onChainResult(ProxyResponse response, Throwable error) {
    if (state == State.DONE || state == State.RESPONDING) {
      if (response != null) {
        response.discard();
      }
      return;
    }
    if (overdue()) {
      if (response != null) {
        response.discard();
      }
      deadlineExpired();
      return;
    }
    if (error != null) {
      ChainCall.Failure failure = chainCall.failure(error);
      if (failure != null) {
        if (failure.flag() != null) {
          record.flag(failure.flag());
        }
        respondLocal(failure.response(), true);
      }
      return;
    }
    if (response instanceof UpstreamResponse upstream) {
      if (!attempts.isCurrent(upstream.attempt())) {
        upstream.discard();
        respondLocal(ProxyResponse.of(500, "a plugin returned a stale upstream response\n"), true);
        return;
      }
      respondUpstream(upstream);
      return;
    }
    if (response.localBody().isPresent()) {
      if (chainCall.answeringPlugin() != null) {
        record.flag(ResponseFlag.LOCAL_RESPONSE);
      }
      respondLocal(response, true);
      return;
    }
    respondLocal(ProxyResponse.of(500, "a plugin returned an unknown response type\n"), true);
  }

  @Override
  protected void deadlineExpired() {
    if (state == State.DONE || writer.headWritten()) {
      return;
    }
    record.flag(ResponseFlag.UPSTREAM_REQUEST_TIMEOUT);
    if (chainCall != null) {
      chainCall.cancel();
    }
    if (attempts != null) {
      attempts.discard();
    }
    respondLocal(ProxyResponse.of(504, "upstream request timeout\n"), true);
  }

  // ---------------------------------------------------------------------------------------------
  // Responses

  private void respondUpstream(UpstreamResponse upstream) {
    state = State.RESPONDING;
    cancelTimeout();
    if (owner.closing()) {
      writer.noKeepAlive();
    }
    writer.sendUpstream(upstream, finished);
  }

  @Override
  public boolean writeResponse(Attempt a, HttpContent chunk, boolean last) {
    if (state != State.RESPONDING) {
      return false;
    }
    writer.writeChunk(a, chunk, last, finished);
    return true;
  }

  @Override
  public void upstreamFailedMidResponse(ResponseFlag flag) {
    record.flag(flag);
    writer.noKeepAlive();
    finish();
    ctx.close();
  }

  private void respondLocal(ProxyResponse response, boolean keepBody) {
    if (state == State.DONE || writer.headWritten()) {
      response.discard();
      return;
    }
    state = State.RESPONDING;
    cancelTimeout();
    if (attempts != null) {
      attempts.discard();
    }
    if (expectContinue && !body.complete()) {
      // The client still holds its body waiting for 100 Continue: do not wait to drain it.
      writer.noKeepAlive();
    }
    if (!body.complete()) {
      body.abandonStream();
      if (http2) {
        writer.noKeepAlive();
      } else {
        body.draining(writer.keepAlive());
      }
    }
    if (owner.closing()) {
      writer.noKeepAlive();
    }
    writer.writeLocal(response, head, finished);
    if (!keepBody) {
      body.release();
    }
  }

  private void finishResponse() {
    if (state == State.DONE) {
      return;
    }
    finish();
    if (!body.complete() && writer.keepAlive() && !http2) {
      body.draining(true);
      owner.read();
      return;
    }
    owner.exchangeDone(this, writer.keepAlive() && body.complete());
  }

  /** Records the exchange once; releases everything it holds. */
  private void finish() {
    if (state == State.DONE) {
      return;
    }
    state = State.DONE;
    cancelTimeout();
    body.release();
    record.report(
        writer, body, head, routed, chainCall == null ? null : chainCall.answeringPlugin());
  }

  private void cancelTimeout() {
    LoopDeadlines.cancel(this);
  }

  /** The downstream went away mid-exchange. */
  void onDownstreamClosed() {
    if (state == State.DONE) {
      return;
    }
    record.flag(ResponseFlag.DOWNSTREAM_CONNECTION_TERMINATION);
    if (chainCall != null) {
      chainCall.cancel();
    }
    if (attempts != null) {
      attempts.abort();
    }
    finish();
  }

  private void abortDownstream() {
    writer.noKeepAlive();
    if (attempts != null) {
      attempts.abort();
    }
    finish();
    ctx.close();
  }
}
