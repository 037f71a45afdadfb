package io.plugmesh.kernel.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
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
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;
import io.plugmesh.config.BackendRef;
import io.plugmesh.config.Limits;
import io.plugmesh.config.route.CompiledRoute;
import io.plugmesh.filters.ContextKeys;
import io.plugmesh.filters.ProxyRequest;
import io.plugmesh.filters.ProxyResponse;
import io.plugmesh.filters.ResponseFlag;
import io.plugmesh.filters.UpstreamException;
import io.plugmesh.filters.internal.ChainRunner;
import io.plugmesh.filters.internal.FilterFailure;
import io.plugmesh.filters.internal.PathNormalizer;
import io.plugmesh.filters.internal.RejectedPathException;
import io.plugmesh.kernel.cluster.ClusterHealth;
import io.plugmesh.kernel.cluster.Endpoint;
import io.plugmesh.kernel.observe.RequestLog;
import io.plugmesh.kernel.state.ClusterState;
import io.plugmesh.kernel.state.Snapshot;
import io.plugmesh.kernel.timer.LoopDeadlines;
import io.plugmesh.pluginruntime.BuiltChain;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One request and its response on one downstream connection or stream: validates and routes the
 * head, runs the route's chain, sends attempts upstream, and streams both bodies with backpressure.
 * Confined to the downstream channel's event loop.
 */
final class Exchange extends LoopDeadlines.Entry {
  private static final Logger log = LoggerFactory.getLogger(Exchange.class);

  /** Request-body bytes read and dropped after a local answer before the connection is closed. */
  static final int MAX_DRAIN_BYTES = 1024 * 1024;

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
  private final Executor home;
  private final boolean http2;
  private final InetSocketAddress client;
  private final String peerIdentity;
  private final Limits limits;
  private final long startNanos = System.nanoTime();

  private State state = State.HEAD;
  private Snapshot snapshot;
  private HttpRequest head;
  private KernelRequest request;
  private CompiledRoute route;
  private BuiltChain chain;
  private ClusterState cluster;
  private boolean keepAlive;
  private boolean headRequest;
  private boolean expectContinue;
  private HttpVersion downstreamVersion = HttpVersion.HTTP_1_1;

  // Request body.
  private boolean bodyComplete;
  private CompositeByteBuf prebuffer;
  private HttpHeaders requestTrailers = EmptyHttpHeaders.INSTANCE;
  private boolean replayable = true;
  private int prebufferLimit;
  private boolean draining;
  private long drained;
  private long bytesReceived;
  private byte[] bodyCopy;

  // Chain and attempts.
  private CompletableFuture<ProxyResponse> chainResult;
  private Attempt attempt;
  private Attempt streamingAttempt;
  private int attempts;

  /** Endpoints earlier attempts used; allocated on the first retry. */
  private Set<Endpoint> tried = Set.of();

  // Response.
  private final Set<ResponseFlag> flags = EnumSet.noneOf(ResponseFlag.class);
  private int status;
  private long bytesSent;
  private long upstreamHeadNanos = -1;
  private String upstreamHost;
  private String answeringPlugin;
  private boolean responseHeadWritten;

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
    this.home =
        task -> {
          if (loop.inEventLoop()) {
            task.run();
          } else {
            loop.execute(task);
          }
        };
    this.http2 = http2;
    this.client = client;
    this.peerIdentity = peerIdentity;
    this.limits = listener.runtime().limits();
  }

  EventLoop loop() {
    return loop;
  }

  ChannelHandlerContext downstream() {
    return ctx;
  }

  // ---------------------------------------------------------------------------------------------
  // Request head

  void start(HttpRequest msg) {
    head = msg;
    snapshot = listener.runtime().snapshot();
    downstreamVersion = msg.protocolVersion();
    keepAlive = !http2 && HttpUtil.isKeepAlive(msg);
    headRequest = HttpMethod.HEAD.equals(msg.method());
    if (msg instanceof LastHttpContent full) {
      // HTTP/2 HEADERS with END_STREAM, or a decoder failure: keep only the head.
      bodyComplete = true;
      bytesReceived += full.content().readableBytes();
      ReferenceCountUtil.release(msg);
    }
    expectContinue = !http2 && !bodyComplete && HttpUtil.is100ContinueExpected(msg);
    String problem = validate(msg);
    if (problem != null) {
      return;
    }
    if (snapshot == null) {
      reject(503, "the proxy has no config yet\n");
      return;
    }
    String uri = msg.uri();
    String rawPath = uri;
    String query = "";
    if (!uri.startsWith("/")) {
      int scheme = uri.indexOf("://");
      int slash = scheme < 0 ? -1 : uri.indexOf('/', scheme + 3);
      rawPath = slash < 0 ? "/" : uri.substring(slash);
    }
    int q = rawPath.indexOf('?');
    if (q >= 0) {
      query = rawPath.substring(q);
      rawPath = rawPath.substring(0, q);
    }
    String path;
    try {
      path = PathNormalizer.normalize(rawPath);
    } catch (RejectedPathException e) {
      keepAlive = false;
      reject(400, "invalid request path: " + sanitize(e.getMessage()) + "\n");
      return;
    }
    HttpHeaders headers = msg.headers();
    String requestId = HeaderHygiene.ensureRequestId(headers);
    String authority = headers.get(HttpHeaderNames.HOST, "");
    Optional<CompiledRoute> matched =
        snapshot.routes(listener.name()).match(msg.method().name(), path, authority, headers::get);
    if (matched.isEmpty()) {
      flags.add(ResponseFlag.NO_ROUTE_FOUND);
      respondLocal(
          ProxyResponse.of(
              404, "no route matched " + msg.method().name() + " " + authority + path + "\n"),
          false);
      return;
    }
    route = matched.get();
    chain = snapshot.chain(route.name());
    BackendRef backend = route.pickBackend();
    cluster = snapshot.cluster(backend.cluster());

    HeaderHygiene.stripHopByHop(headers);
    HeaderHygiene.setForwarded(headers, owner.clientIp(), listener.scheme());
    KernelRequestContext context = new KernelRequestContext(requestId, route.name());
    context.put(ContextKeys.CLIENT_ADDRESS, client);
    context.put(ContextKeys.ROUTE, route.name());
    if (peerIdentity != null) {
      context.put(ContextKeys.PEER_IDENTITY, peerIdentity);
    }
    request =
        new KernelRequest(
            this,
            msg,
            path + query,
            listener.scheme(),
            authority,
            http2 ? "HTTP/2" : msg.protocolVersion().text(),
            context);

    Duration routeTimeout =
        route.config().timeout() != null ? route.config().timeout() : limits.defaultRouteTimeout();
    LoopDeadlines.of(loop).start(this, routeTimeout.toNanos());

    int buffered = chain.bufferedBodyBytes();
    prebufferLimit = Math.max(buffered, chain.replayBytes());
    if (!bodyComplete) {
      long contentLength = HttpUtil.getContentLength(msg, -1L);
      if (buffered > 0 && contentLength > buffered) {
        reject(413, "request body of " + contentLength + " bytes exceeds " + buffered + "\n");
        return;
      }
      boolean mayHaveBody = http2 || contentLength > 0 || HttpUtil.isTransferEncodingChunked(msg);
      if (!mayHaveBody || prebufferLimit > 0) {
        state = State.PREBODY;
        readBody();
        return;
      }
      replayable = false;
    }
    runChain();
  }

  /** Returns a problem (and answers it) or null when the head is acceptable. */
  private String validate(HttpRequest msg) {
    DecoderResult result = msg.decoderResult();
    if (result.isFailure()) {
      Throwable cause = result.cause();
      keepAlive = false;
      if (cause instanceof TooLongHttpLineException) {
        reject(414, "request target too long (limit " + limits.maxUriBytes() + " bytes)\n");
      } else if (cause instanceof TooLongHttpHeaderException
          || cause instanceof TooLongFrameException) {
        reject(
            431, "request header block too large (limit " + limits.maxHeaderBytes() + " bytes)\n");
      } else {
        reject(400, "malformed request: " + sanitize(cause.getMessage()) + "\n");
      }
      return "decoder";
    }
    if (msg.headers().size() > limits.maxHeaderCount()) {
      keepAlive = false;
      reject(431, "too many request headers (limit " + limits.maxHeaderCount() + ")\n");
      return "count";
    }
    if (msg.uri().length() > limits.maxUriBytes()) {
      keepAlive = false;
      reject(414, "request target too long (limit " + limits.maxUriBytes() + " bytes)\n");
      return "uri";
    }
    if (HttpMethod.CONNECT.equals(msg.method())) {
      reject(501, "CONNECT is not supported\n");
      return "connect";
    }
    String uri = msg.uri();
    if (!uri.startsWith("/") && !uri.startsWith("http://") && !uri.startsWith("https://")) {
      keepAlive = false;
      reject(400, "unsupported request target (expected: origin-form or absolute-form)\n");
      return "target";
    }
    if (!http2) {
      int hosts = msg.headers().getAll(HttpHeaderNames.HOST).size();
      if (hosts > 1 || (hosts == 0 && msg.protocolVersion().equals(HttpVersion.HTTP_1_1))) {
        keepAlive = false;
        reject(400, "exactly one Host header is required\n");
        return "host";
      }
    }
    return null;
  }

  private static String sanitize(String text) {
    if (text == null) {
      return "invalid framing";
    }
    String s = text.replaceAll("[^\\x20-\\x7e]", "?");
    return s.length() > 200 ? s.substring(0, 200) : s;
  }

  /** Answers a request the proxy refuses before routing; the body is not read. */
  private void reject(int code, String body) {
    flags.add(ResponseFlag.LOCAL_RESPONSE);
    if (!bodyComplete && !http2) {
      keepAlive = false;
    }
    respondLocal(ProxyResponse.of(code, body), false);
  }

  // ---------------------------------------------------------------------------------------------
  // Request body

  void onRequestContent(HttpContent content) {
    if (content.decoderResult().isFailure()) {
      onMalformedBody(content);
      return;
    }
    int n = content.content().readableBytes();
    bytesReceived += n;
    boolean last = content instanceof LastHttpContent;
    if (last) {
      bodyComplete = true;
      HttpHeaders trailers = ((LastHttpContent) content).trailingHeaders();
      if (!trailers.isEmpty()) {
        requestTrailers = new DefaultHttpHeaders().add(trailers);
      }
    }
    switch (state) {
      case PREBODY -> prebufferContent(content, last);
      case DONE -> drainContent(content, last);
      default -> {
        if (streamingAttempt != null) {
          streamingAttempt.writeBody(content, last);
        } else if (draining) {
          drainContent(content, last);
        } else {
          // Not asked for: hold nothing, lose nothing. Should not happen with explicit reads.
          content.release();
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
  private void onMalformedBody(HttpContent content) {
    Throwable cause = content.decoderResult().cause();
    content.release();
    keepAlive = false;
    draining = false;
    if (state == State.DONE || responseHeadWritten) {
      abortDownstream();
      return;
    }
    reject(400, "malformed request body: " + sanitize(cause.getMessage()) + "\n");
  }

  private void prebufferContent(HttpContent content, boolean last) {
    ByteBuf bytes = content.content();
    if (bytes.isReadable()) {
      if (prebuffer == null) {
        prebuffer = ctx.alloc().compositeBuffer(64);
      }
      prebuffer.addComponent(true, bytes);
    } else {
      content.release();
    }
    long size = prebuffer == null ? 0 : prebuffer.readableBytes();
    int buffered = chain.bufferedBodyBytes();
    if (buffered > 0 && size > buffered) {
      releasePrebuffer();
      reject(413, "request body exceeds " + buffered + " bytes\n");
      return;
    }
    if (size > prebufferLimit) {
      // Too large to keep for replay: send it once, streaming the rest. A body that ends in the
      // chunk that crossed the limit is over it too, however it was framed.
      replayable = false;
      if (!last) {
        runChain();
        return;
      }
    }
    if (last) {
      runChain();
    } else {
      owner.read();
    }
  }

  private void drainContent(HttpContent content, boolean last) {
    drained += content.content().readableBytes();
    content.release();
    if (last) {
      draining = false;
      if (state == State.DONE) {
        owner.exchangeDone(this, keepAlive);
      }
      return;
    }
    if (drained > MAX_DRAIN_BYTES) {
      ctx.close();
      return;
    }
    owner.read();
  }

  Optional<byte[]> bufferedBodyBytes() {
    if (chain == null || chain.bufferedBodyBytes() <= 0 || !bodyComplete) {
      return Optional.empty();
    }
    if (bodyCopy == null) {
      bodyCopy = prebuffer == null ? new byte[0] : ByteBufUtil.getBytes(prebuffer);
    }
    return Optional.of(bodyCopy);
  }

  boolean replayable() {
    return replayable && bodyComplete;
  }

  private void releasePrebuffer() {
    if (prebuffer != null) {
      prebuffer.release();
      prebuffer = null;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Chain

  private void runChain() {
    state = State.CHAIN;
    ChainRunner.Observer chainObserver = chain.observer();
    ChainRunner.Observer observer =
        (index, link, decision, nanos, error) -> {
          if (decision == ChainRunner.Decision.RESPOND) {
            answeringPlugin = link.name();
          }
          chainObserver.onDecision(index, link, decision, nanos, error);
        };
    CompletionStage<ProxyResponse> stage;
    try {
      stage = chain.runner().run(request, this::sendAttempt, home, observer);
    } catch (RuntimeException e) {
      stage = CompletableFuture.failedFuture(e);
    }
    chainResult = stage.toCompletableFuture();
    stage.whenComplete((response, error) -> home.execute(() -> onChainResult(response, error)));
  }

  /**
   * The chain's terminal. The chain runner calls it on this exchange's event loop, also when a
   * filter proceeds from a timer or a client library's thread (it hops home first).
   */
  private CompletionStage<ProxyResponse> sendAttempt(ProxyRequest attemptRequest) {
    if (state != State.CHAIN) {
      return CompletableFuture.failedFuture(
          new UpstreamException(UpstreamException.Kind.RESET, "exchange already finished"));
    }
    if (attempts > 0 && !replayable()) {
      return CompletableFuture.failedFuture(
          new IllegalStateException(
              "the request body was streamed and cannot be sent again (replayable() is false)"));
    }
    if (attempt != null) {
      attempt.discard();
    }
    Endpoint endpoint = cluster.choose(tried);
    if (endpoint == null) {
      return CompletableFuture.failedFuture(
          new UpstreamException(
              UpstreamException.Kind.NO_HEALTHY_UPSTREAM,
              "cluster '" + cluster.config().name() + "' has no healthy endpoint"));
    }
    boolean retry = attempts > 0;
    ClusterHealth health = cluster.health();
    if (health != null) {
      UpstreamException overflow = health.startRequest(retry);
      if (overflow != null) {
        return CompletableFuture.failedFuture(overflow);
      }
    }
    if (tried.isEmpty()) {
      tried = Set.of(endpoint);
    } else {
      if (!(tried instanceof HashSet)) {
        tried = new HashSet<>(tried);
      }
      tried.add(endpoint);
    }
    attempts++;
    if (attempts > 1) {
      flags.remove(ResponseFlag.UPSTREAM_CONNECTION_FAILURE);
    }
    attempt =
        new Attempt(
            this,
            endpoint,
            cluster.target(endpoint),
            (KernelRequest) attemptRequest,
            listener.runtime().connector(),
            health,
            retry);
    upstreamHost = endpoint.address();
    if (retry) {
      listener.runtime().upstreamRetried(route.name(), cluster.config().name());
    }
    attempt.observe(
        AttemptView.announce((KernelRequest) attemptRequest, attempts, attempt.endpointText()));
    return attempt.start();
  }

  /** Whether a body follows the request head (framing decides the upstream encoding). */
  boolean requestMayHaveBody() {
    return prebuffer != null || !bodyComplete || !requestTrailers.isEmpty();
  }

  /** Called by an attempt once its head is written: what body goes with it. */
  void sendBody(Attempt a) {
    if (prebuffer != null && replayable()) {
      a.writeBuffered(prebuffer.retainedDuplicate(), requestTrailers);
      return;
    }
    if (bodyComplete && prebuffer == null) {
      a.writeBuffered(Unpooled.EMPTY_BUFFER, requestTrailers);
      return;
    }
    // Stream from the downstream socket, after what was read already.
    streamingAttempt = a;
    if (prebuffer != null) {
      CompositeByteBuf first = prebuffer;
      prebuffer = null;
      a.writeBody(new DefaultHttpContent(first), bodyComplete);
      return;
    }
    if (bodyComplete) {
      a.writeBody(new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER, false), true);
      return;
    }
    readBody();
  }

  /**
   * Asks the downstream for request body bytes. A client that sent {@code Expect: 100-continue}
   * holds its body until told to go on, so it is told here, once the request was accepted and
   * routed; a request refused before this never invites its body.
   */
  private void readBody() {
    if (expectContinue) {
      expectContinue = false;
      ctx.writeAndFlush(
          new DefaultFullHttpResponse(
              downstreamVersion, HttpResponseStatus.CONTINUE, Unpooled.EMPTY_BUFFER));
    }
    owner.read();
  }

  /** Called by a streaming attempt when a body chunk was written upstream. */
  void requestChunkWritten(Attempt a, boolean last) {
    if (a != streamingAttempt) {
      return;
    }
    if (last) {
      streamingAttempt = null;
    } else if (state != State.DONE) {
      owner.read();
    }
  }

  /** Called by an attempt that stopped taking the request body (failed or aborted). */
  void streamingStopped(Attempt a) {
    if (a == streamingAttempt) {
      streamingAttempt = null;
      if (!bodyComplete) {
        keepAlive = false;
      }
    }
  }

  void upstreamHeadArrived() {
    if (upstreamHeadNanos < 0) {
      upstreamHeadNanos = System.nanoTime() - startNanos;
    }
  }

  private void onChainResult(ProxyResponse response, Throwable error) {
    if (state == State.DONE || state == State.RESPONDING) {
      if (response != null) {
        response.discard();
      }
      return;
    }
    if (error != null) {
      Throwable cause =
          error instanceof CompletionException && error.getCause() != null
              ? error.getCause()
              : error;
      if (cause instanceof CancellationException) {
        return; // the timeout or a downstream close already answered
      }
      if (cause instanceof UpstreamException up) {
        flags.add(up.kind().flag());
        respondLocal(ProxyResponse.of(up.kind().status(), up.getMessage() + "\n"), true);
        return;
      }
      String plugin = cause instanceof FilterFailure f ? f.plugin() : null;
      answeringPlugin = plugin;
      log.warn(
          "route '{}': {} failed: {}",
          route.name(),
          plugin == null ? "chain" : "plugin '" + plugin + "'",
          cause.toString());
      respondLocal(
          ProxyResponse.of(
              500,
              plugin == null
                  ? "internal error in the proxy\n"
                  : "plugin '" + plugin + "' failed on route '" + route.name() + "'\n"),
          true);
      return;
    }
    if (response instanceof UpstreamResponse upstream) {
      if (upstream.attempt() != attempt || attempt.isDiscarded()) {
        upstream.discard();
        respondLocal(ProxyResponse.of(500, "a plugin returned a stale upstream response\n"), true);
        return;
      }
      respondUpstream(upstream);
      return;
    }
    if (response.localBody().isPresent()) {
      if (answeringPlugin != null) {
        flags.add(ResponseFlag.LOCAL_RESPONSE);
      }
      respondLocal(response, true);
      return;
    }
    respondLocal(ProxyResponse.of(500, "a plugin returned an unknown response type\n"), true);
  }

  @Override
  protected void deadlineExpired() {
    onRouteTimeout();
  }

  private void onRouteTimeout() {
    if (state == State.DONE || responseHeadWritten) {
      return;
    }
    flags.add(ResponseFlag.UPSTREAM_REQUEST_TIMEOUT);
    if (chainResult != null) {
      chainResult.cancel(false);
    }
    if (attempt != null) {
      attempt.discard();
    }
    respondLocal(ProxyResponse.of(504, "upstream request timeout\n"), true);
  }

  // ---------------------------------------------------------------------------------------------
  // Responses

  private void respondUpstream(UpstreamResponse upstream) {
    state = State.RESPONDING;
    cancelTimeout();
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
        if (downstreamVersion.equals(HttpVersion.HTTP_1_0)) {
          keepAlive = false;
        } else {
          headers.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        }
      }
      prepareConnectionHeader(headers);
      out = new DefaultHttpResponse(downstreamVersion, up.status(), headers);
    }
    responseHeadWritten = true;
    Attempt a = upstream.attempt();
    if (http2 && a.takeHeadOnlyResponse()) {
      // A response that ended with its head (gRPC's trailers-only errors) stays one HEADERS frame
      // with END_STREAM: grpc-status must arrive in the frame that ends the stream.
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
                      finishResponse();
                    } else {
                      a.abort();
                    }
                  });
      return;
    }
    ctx.write(out);
    a.streamResponse();
  }

  /** Called by the attempt for each response body chunk; returns once queued. */
  void writeResponseContent(Attempt a, HttpContent content, boolean last) {
    if (state != State.RESPONDING) {
      content.release();
      return;
    }
    bytesSent += content.content().readableBytes();
    HttpContent toWrite = content;
    if (last && http2 && content instanceof LastHttpContent l && !l.trailingHeaders().isEmpty()) {
      HeaderHygiene.stripHopByHop(l.trailingHeaders());
    }
    ctx.writeAndFlush(toWrite)
        .addListener(
            (ChannelFutureListener)
                f -> {
                  if (!f.isSuccess()) {
                    a.abort();
                    return;
                  }
                  if (last) {
                    finishResponse();
                  } else {
                    a.readMore();
                  }
                });
  }

  /** The upstream failed after the response head went downstream: cut the downstream. */
  void upstreamFailedMidResponse(ResponseFlag flag) {
    flags.add(flag);
    keepAlive = false;
    finish();
    ctx.close();
  }

  private void prepareConnectionHeader(HttpHeaders headers) {
    if (!keepAlive) {
      headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    } else if (downstreamVersion.equals(HttpVersion.HTTP_1_0)) {
      headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
    }
  }

  private void respondLocal(ProxyResponse response, boolean routed) {
    if (state == State.DONE || responseHeadWritten) {
      response.discard();
      return;
    }
    state = State.RESPONDING;
    cancelTimeout();
    if (attempt != null) {
      attempt.discard();
    }
    if (expectContinue && !bodyComplete) {
      // The client still holds its body waiting for 100 Continue: do not wait to drain it.
      keepAlive = false;
    }
    if (!bodyComplete) {
      if (streamingAttempt != null) {
        streamingAttempt = null;
      }
      if (http2) {
        keepAlive = false;
      } else {
        draining = keepAlive;
      }
    }
    status = response.status();
    byte[] body = response.localBody().orElse(new byte[0]);
    if (http2 && status != 200 && GrpcLocalReply.isGrpc(head)) {
      // A gRPC client reads the answer from grpc-status: a trailers-only reply (Envoy does the
      // same); the access log and metrics keep the HTTP status that explains it.
      FullHttpResponse grpc = GrpcLocalReply.of(status, body, response.headers());
      responseHeadWritten = true;
      ctx.writeAndFlush(grpc)
          .addListener(
              (ChannelFutureListener)
                  f -> {
                    if (!f.isSuccess()) {
                      keepAlive = false;
                    }
                    finishResponse();
                  });
      if (!routed) {
        releasePrebuffer();
      }
      return;
    }
    ByteBuf content = headRequest ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body);
    FullHttpResponse out =
        new DefaultFullHttpResponse(
            http2 ? HttpVersion.HTTP_1_1 : downstreamVersion,
            HttpResponseStatus.valueOf(status),
            content);
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
    responseHeadWritten = true;
    bytesSent += content.readableBytes();
    ctx.writeAndFlush(out)
        .addListener(
            (ChannelFutureListener)
                f -> {
                  if (!f.isSuccess()) {
                    keepAlive = false;
                  }
                  finishResponse();
                });
    if (!routed) {
      releasePrebuffer();
    }
  }

  private void finishResponse() {
    if (state == State.DONE) {
      return;
    }
    finish();
    if (!bodyComplete && keepAlive && !http2) {
      draining = true;
      owner.read();
      return;
    }
    owner.exchangeDone(this, keepAlive && bodyComplete);
  }

  /** Records the exchange once; releases everything it holds. */
  private void finish() {
    if (state == State.DONE) {
      return;
    }
    state = State.DONE;
    cancelTimeout();
    releasePrebuffer();
    if (request != null) {
      flags.addAll(request.kernelContext().flags());
    }
    if (flags.isEmpty() && answeringPlugin != null) {
      flags.add(ResponseFlag.LOCAL_RESPONSE);
    }
    long durationNanos = System.nanoTime() - startNanos;
    String protocol = http2 ? "HTTP/2" : downstreamVersion.text();
    String routeName = route == null ? null : route.name();
    String clusterName = cluster == null ? null : cluster.config().name();
    RequestLog entry;
    if (!listener.runtime().accessLogged()) {
      // Metrics only: none of the fields only the access log prints.
      entry =
          new RequestLog(
              Instant.EPOCH,
              null,
              null,
              protocol,
              status,
              flags,
              bytesReceived,
              bytesSent,
              durationNanos,
              upstreamHeadNanos,
              null,
              null,
              null,
              null,
              null,
              routeName,
              clusterName,
              answeringPlugin,
              null,
              null,
              listener.name());
    } else {
      HttpHeaders headers = head == null ? EmptyHttpHeaders.INSTANCE : head.headers();
      entry =
          new RequestLog(
              Instant.now().minusNanos(durationNanos),
              head == null ? "-" : head.method().name(),
              request != null ? request.path() : head == null ? "-" : head.uri(),
              protocol,
              status,
              flags,
              bytesReceived,
              bytesSent,
              durationNanos,
              upstreamHeadNanos,
              headers.get(HeaderHygiene.FORWARDED_FOR),
              headers.get(HttpHeaderNames.USER_AGENT),
              headers.get(HeaderHygiene.REQUEST_ID),
              headers.get(HttpHeaderNames.HOST),
              upstreamHost,
              routeName,
              clusterName,
              answeringPlugin,
              request == null
                  ? null
                  : request
                      .context()
                      .get(ContextKeys.TRACE)
                      .map(io.plugmesh.filters.TraceContext::traceId)
                      .orElse(null),
              peerIdentity,
              listener.name());
    }
    try {
      listener.runtime().record(entry);
    } catch (RuntimeException e) {
      log.warn("recording a request failed", e);
    }
  }

  private void cancelTimeout() {
    LoopDeadlines.cancel(this);
  }

  /** The downstream went away mid-exchange. */
  void onDownstreamClosed() {
    if (state == State.DONE) {
      return;
    }
    flags.add(ResponseFlag.DOWNSTREAM_CONNECTION_TERMINATION);
    if (chainResult != null) {
      chainResult.cancel(false);
    }
    if (attempt != null) {
      attempt.abort();
    }
    finish();
  }

  private void abortDownstream() {
    keepAlive = false;
    if (attempt != null) {
      attempt.abort();
    }
    finish();
    ctx.close();
  }

  static String text(ByteBuf buf) {
    return buf.toString(StandardCharsets.UTF_8);
  }
}
