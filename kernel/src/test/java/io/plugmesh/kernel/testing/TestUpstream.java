package io.plugmesh.kernel.testing;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A real HTTP/1.1 or h2c server on loopback for kernel tests. Paths:
 *
 * <ul>
 *   <li>{@code /echo...}: 200 with the method, path, headers and body size it saw
 *   <li>{@code /status/NNN}: that status
 *   <li>{@code /bytes/N}: N bytes, streamed with backpressure
 *   <li>{@code /delay/MS...}: answers after MS milliseconds
 *   <li>{@code /close}: closes the connection without answering
 *   <li>{@code /trailers}: a streamed body ({@code part1part2}) ending with the trailers {@code
 *       x-trailer: <name>} and {@code x-parts: 2} (chunked on HTTP/1.1)
 *   <li>{@code /mirror}: 200 with the request body, byte for byte (at most {@link
 *       #MAX_MIRROR_BYTES})
 *   <li>{@code /partial/N}: a 200 head announcing 2N bytes, N bytes of body, then the connection
 *       (HTTP/1.1) or stream (h2) is cut: a reset mid-response
 * </ul>
 *
 * <p>Scripted failures per request, driven by request headers so one upstream serves many tests:
 *
 * <ul>
 *   <li>{@value #FAIL_FIRST}{@code : N}: the first N requests this upstream sees with the same
 *       {@code x-request-id} fail (counted per upstream, per id); later ones are answered as usual
 *   <li>{@value #FAIL_WITH}: how they fail: {@code status:NNN} (the default, {@code status:503}),
 *       {@code reset} (the connection or stream is cut after the request, before any response) or
 *       {@code delay:MS} (answered as usual, MS milliseconds late)
 *   <li>{@value #RETRY_AFTER}{@code : V}: a {@code status} failure carries {@code Retry-After: V}
 * </ul>
 *
 * Every response carries {@code x-upstream: <name>}; text responses also {@code x-uri: <uri>}.
 */
public final class TestUpstream implements AutoCloseable {
  /** Chunk size of streamed responses. */
  static final int CHUNK = 64 * 1024;

  /** Largest request body {@code /mirror} sends back; larger bodies answer 413. */
  public static final int MAX_MIRROR_BYTES = 8 * 1024 * 1024;

  /** Request header: how many requests with this request's {@code x-request-id} fail first. */
  public static final String FAIL_FIRST = "x-test-fail-first";

  /** Request header: {@code status:NNN}, {@code reset} or {@code delay:MS}. */
  public static final String FAIL_WITH = "x-test-fail-with";

  /** Request header: the {@code Retry-After} value a {@code status} failure carries. */
  public static final String RETRY_AFTER = "x-test-retry-after";

  /** Request ids remembered for {@link #FAIL_FIRST}; the memory is cleared when it is full. */
  static final int MAX_TRACKED_IDS = 100_000;

  /** A request as the upstream saw it. */
  public record Seen(String method, String uri, Map<String, List<String>> headers, long bodyBytes) {
    /** First value of a header or null. */
    public String header(String name) {
      List<String> v = headers.get(name.toLowerCase(java.util.Locale.ROOT));
      return v == null || v.isEmpty() ? null : v.get(0);
    }
  }

  private final String name;
  private final EventLoopGroup group;
  private final Channel server;
  private final ConcurrentLinkedQueue<Seen> seen = new ConcurrentLinkedQueue<>();
  private final AtomicInteger requests = new AtomicInteger();
  private final AtomicInteger connections = new AtomicInteger();
  private final AtomicInteger openConnections = new AtomicInteger();
  private final AtomicLong uploadBytes = new AtomicLong();
  private final java.util.concurrent.atomic.AtomicInteger forcedStatus =
      new java.util.concurrent.atomic.AtomicInteger();
  private final java.util.concurrent.atomic.AtomicInteger inFlight =
      new java.util.concurrent.atomic.AtomicInteger();
  private final java.util.concurrent.atomic.AtomicInteger maxInFlight =
      new java.util.concurrent.atomic.AtomicInteger();
  private final Map<String, AtomicInteger> byRequestId = new ConcurrentHashMap<>();

  private TestUpstream(String name, boolean http2) throws InterruptedException {
    this.name = name;
    this.group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    ServerBootstrap b =
        new ServerBootstrap()
            .group(group)
            .channel(NioServerSocketChannel.class)
            .childHandler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    connections.incrementAndGet();
                    openConnections.incrementAndGet();
                    ch.closeFuture().addListener(f -> openConnections.decrementAndGet());
                    if (http2) {
                      ch.pipeline()
                          .addLast(Http2FrameCodecBuilder.forServer().build())
                          .addLast(
                              new Http2MultiplexHandler(
                                  new ChannelInitializer<Http2StreamChannel>() {
                                    @Override
                                    protected void initChannel(Http2StreamChannel s) {
                                      s.pipeline()
                                          .addLast(new Http2StreamFrameToHttpObjectCodec(true))
                                          .addLast(new Handler(true));
                                    }
                                  }));
                    } else {
                      ch.pipeline().addLast(new HttpServerCodec()).addLast(new Handler(false));
                    }
                  }
                });
    this.server = b.bind("127.0.0.1", 0).sync().channel();
  }

  /** Starts an HTTP/1.1 upstream. */
  public static TestUpstream http1(String name) throws InterruptedException {
    return new TestUpstream(name, false);
  }

  /** Starts an h2c (prior knowledge) upstream. */
  public static TestUpstream http2(String name) throws InterruptedException {
    return new TestUpstream(name, true);
  }

  public int port() {
    return ((InetSocketAddress) server.localAddress()).getPort();
  }

  public String address() {
    return "127.0.0.1:" + port();
  }

  /** Answers every request with {@code status} (0 restores normal behaviour). */
  public void forceStatus(int status) {
    forcedStatus.set(status);
  }

  /** The most requests this upstream was answering at once. */
  public int maxInFlight() {
    return maxInFlight.get();
  }

  public int requests() {
    return requests.get();
  }

  public int connections() {
    return connections.get();
  }

  /** Connections accepted and not yet closed. */
  public int openConnections() {
    return openConnections.get();
  }

  public long uploadBytes() {
    return uploadBytes.get();
  }

  /** How many request heads carried this {@code x-request-id}. */
  public int requestsFor(String requestId) {
    AtomicInteger n = byRequestId.get(requestId);
    return n == null ? 0 : n.get();
  }

  public List<Seen> seen() {
    return List.copyOf(seen);
  }

  public Seen last() {
    List<Seen> all = seen();
    return all.isEmpty() ? null : all.get(all.size() - 1);
  }

  @Override
  public void close() {
    server.close().syncUninterruptibly();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }

  private final class Handler extends ChannelInboundHandlerAdapter {
    private final boolean http2;
    private HttpRequest head;
    private long body;
    private CompositeByteBuf mirror;
    private int ordinal;

    Handler(boolean http2) {
      this.http2 = http2;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof HttpRequest req) {
        head = req;
        body = 0;
        ordinal = 0;
        requests.incrementAndGet();
        if (req.uri().contains("/mirror")) {
          mirror = ctx.alloc().compositeBuffer(1024);
        }
        String id = req.headers().get("x-request-id");
        if (id != null) {
          if (byRequestId.size() >= MAX_TRACKED_IDS) {
            byRequestId.clear();
          }
          ordinal = byRequestId.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
        }
        if (req.uri().contains("/close")) {
          ReferenceCountUtil.release(msg);
          ctx.close();
          return;
        }
      }
      if (msg instanceof HttpContent content) {
        body += content.content().readableBytes();
        uploadBytes.addAndGet(content.content().readableBytes());
        boolean last = msg instanceof LastHttpContent;
        if (mirror != null
            && content.content().isReadable()
            && mirror.readableBytes() + content.content().readableBytes() <= MAX_MIRROR_BYTES) {
          mirror.addComponent(true, content.content().retain());
        }
        ReferenceCountUtil.release(msg);
        if (last && head != null) {
          HttpRequest req = head;
          head = null;
          seen.add(new Seen(req.method().name(), req.uri(), copy(req.headers()), body));
          if (!scriptedFailure(ctx, req, ordinal, body)) {
            respond(ctx, req, body);
          }
        }
        return;
      }
      if (!(msg instanceof HttpRequest)) {
        ReferenceCountUtil.release(msg);
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      releaseMirror();
      ctx.fireChannelInactive();
    }

    private void releaseMirror() {
      if (mirror != null) {
        mirror.release();
        mirror = null;
      }
    }

    /** Applies {@link #FAIL_FIRST}; returns true when this request was failed (or deferred). */
    private boolean scriptedFailure(
        ChannelHandlerContext ctx, HttpRequest req, int ordinal, long bodyBytes) {
      String first = req.headers().get(FAIL_FIRST);
      if (first == null || ordinal == 0 || ordinal > Integer.parseInt(first.trim())) {
        return false;
      }
      String with = req.headers().get(FAIL_WITH, "status:503").trim();
      if (with.equals("reset")) {
        ctx.close();
      } else if (with.startsWith("delay:")) {
        long ms = Long.parseLong(with.substring(6));
        ctx.executor().schedule(() -> respond(ctx, req, bodyBytes), ms, TimeUnit.MILLISECONDS);
      } else if (with.startsWith("status:")) {
        int code = Integer.parseInt(with.substring(7));
        String retryAfter = req.headers().get(RETRY_AFTER);
        sendText(
            ctx,
            req,
            HttpResponseStatus.valueOf(code),
            name + " scripted " + code + " (attempt " + ordinal + ")\n",
            retryAfter == null ? Map.of() : Map.of("retry-after", retryAfter));
      } else {
        throw new IllegalArgumentException(
            FAIL_WITH + ": " + with + " (expected: status:NNN, reset or delay:MS)");
      }
      return true;
    }

    private void respond(ChannelHandlerContext ctx, HttpRequest req, long bodyBytes) {
      String uri = req.uri();
      int forced = forcedStatus.get();
      if (forced != 0) {
        sendText(ctx, req, HttpResponseStatus.valueOf(forced), name + " forced " + forced + "\n");
        return;
      }
      int status = uri.indexOf("/status/");
      int bytes = uri.indexOf("/bytes/");
      int delay = uri.indexOf("/delay/");
      if (mirror != null) {
        CompositeByteBuf echoed = mirror;
        mirror = null;
        if (bodyBytes > MAX_MIRROR_BYTES) {
          echoed.release();
          sendText(ctx, req, HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "too large to mirror\n");
          return;
        }
        DefaultFullHttpResponse r =
            new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, echoed);
        r.headers()
            .set(HttpHeaderNames.CONTENT_TYPE, "application/octet-stream")
            .set(HttpHeaderNames.CONTENT_LENGTH, echoed.readableBytes())
            .set("x-upstream", name);
        ctx.writeAndFlush(r);
      } else if (uri.contains("/trailers")) {
        HttpResponse r = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain").set("x-upstream", name);
        if (!http2) {
          r.headers().set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        }
        ctx.write(r);
        ctx.write(new DefaultHttpContent(Unpooled.copiedBuffer("part1", StandardCharsets.UTF_8)));
        LastHttpContent end =
            new DefaultLastHttpContent(Unpooled.copiedBuffer("part2", StandardCharsets.UTF_8));
        end.trailingHeaders().set("x-trailer", name).set("x-parts", "2");
        ctx.writeAndFlush(end);
      } else if (uri.contains("/partial/")) {
        int partial = uri.indexOf("/partial/");
        long n = Long.parseLong(uri.substring(partial + 9).split("[?/]")[0]);
        HttpResponse r = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        r.headers().set(HttpHeaderNames.CONTENT_LENGTH, 2 * n).set("x-upstream", name);
        ctx.write(r);
        ctx.writeAndFlush(new DefaultHttpContent(ctx.alloc().buffer((int) n).writeZero((int) n)))
            .addListener(ChannelFutureListener.CLOSE);
      } else if (status >= 0) {
        int code = Integer.parseInt(uri.substring(status + 8, status + 11));
        sendText(ctx, req, HttpResponseStatus.valueOf(code), name + " status " + code + "\n");
      } else if (bytes >= 0) {
        long n = Long.parseLong(uri.substring(bytes + 7).split("[?/]")[0]);
        HttpResponse r = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        r.headers().set(HttpHeaderNames.CONTENT_LENGTH, n).set("x-upstream", name);
        ctx.write(r);
        stream(ctx, n);
      } else if (delay >= 0) {
        long ms = Long.parseLong(uri.substring(delay + 7).split("[?/]")[0]);
        int now = inFlight.incrementAndGet();
        maxInFlight.accumulateAndGet(now, Math::max);
        ctx.executor()
            .schedule(
                () -> {
                  inFlight.decrementAndGet();
                  sendText(ctx, req, HttpResponseStatus.OK, name + " after " + ms + "ms\n");
                },
                ms,
                TimeUnit.MILLISECONDS);
      } else {
        StringBuilder sb = new StringBuilder();
        sb.append(name).append(' ').append(req.method()).append(' ').append(uri).append('\n');
        for (Map.Entry<String, String> h : req.headers()) {
          sb.append(h.getKey().toLowerCase(java.util.Locale.ROOT))
              .append(": ")
              .append(h.getValue())
              .append('\n');
        }
        sb.append("body-bytes: ").append(bodyBytes).append('\n');
        sendText(ctx, req, HttpResponseStatus.OK, sb.toString());
      }
    }

    private void stream(ChannelHandlerContext ctx, long remaining) {
      if (remaining <= 0) {
        ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
        return;
      }
      int n = (int) Math.min(CHUNK, remaining);
      ByteBuf chunk = ctx.alloc().buffer(n).writeZero(n);
      ctx.writeAndFlush(new DefaultHttpContent(chunk))
          .addListener(
              (ChannelFutureListener)
                  f -> {
                    if (f.isSuccess()) {
                      stream(ctx, remaining - n);
                    }
                  });
    }

    private void sendText(
        ChannelHandlerContext ctx, HttpRequest req, HttpResponseStatus status, String text) {
      sendText(ctx, req, status, text, Map.of());
    }

    private void sendText(
        ChannelHandlerContext ctx,
        HttpRequest req,
        HttpResponseStatus status,
        String text,
        Map<String, String> extraHeaders) {
      if (!ctx.channel().isActive()) {
        return;
      }
      DefaultFullHttpResponse r =
          new DefaultFullHttpResponse(
              HttpVersion.HTTP_1_1, status, Unpooled.copiedBuffer(text, StandardCharsets.UTF_8));
      r.headers()
          .set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8")
          .set(HttpHeaderNames.CONTENT_LENGTH, r.content().readableBytes())
          .set("x-upstream", name)
          .set("x-uri", req.uri());
      extraHeaders.forEach((k, v) -> r.headers().set(k, v));
      boolean keepAlive = http2 || HttpUtil.isKeepAlive(req);
      if (!keepAlive) {
        r.headers().set(HttpHeaderNames.CONNECTION, "close");
      }
      var f = ctx.writeAndFlush(r);
      if (!keepAlive) {
        f.addListener(ChannelFutureListener.CLOSE);
      }
    }
  }

  private static Map<String, List<String>> copy(HttpHeaders headers) {
    Map<String, List<String>> out = new java.util.TreeMap<>();
    for (String n : headers.names()) {
      out.put(n.toLowerCase(java.util.Locale.ROOT), headers.getAll(n));
    }
    return out;
  }
}
