package io.plugmesh.kernel.upstream;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandler;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.plugmesh.config.UpstreamProtocol;
import io.plugmesh.filters.UpstreamException;
import io.plugmesh.kernel.cluster.ClusterHealth;
import io.plugmesh.kernel.tls.CertificateSource;
import io.plugmesh.kernel.tls.UpstreamTlsContexts;
import java.net.ConnectException;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;

/**
 * Lends upstream channels to attempts, always on the attempt's own event loop: pooled keep-alive
 * HTTP/1.1 connections, or streams on one multiplexed HTTP/2 connection per endpoint and loop.
 * Pools are keyed by endpoint address, so they outlive config versions. TLS clusters get a TLS
 * handshake (ALPN h2 for HTTP/2) with the cluster's current certificate files; a connection made
 * with files that have since been replaced is not reused, so rotated certificates and trust bundles
 * take over as connections turn over, and no request fails.
 */
public final class UpstreamConnector implements AutoCloseable {
  /** Largest upstream response initial line and header block (bytes). */
  public static final int MAX_RESPONSE_HEADER_BYTES = 64 * 1024;

  /** Largest chunk the HTTP/1.1 response decoder emits at once (bytes). */
  public static final int MAX_CHUNK_BYTES = 64 * 1024;

  private static final String DISPATCHER = "plugmesh-dispatcher";

  private static final String STREAM_HANDLER = "plugmesh-attempt";

  /** Slots of each loop's target-to-pool cache; a power of two. */
  private static final int RECENT_TARGETS = 64;

  private static final io.netty.util.AttributeKey<TlsStamp> TLS_STAMP =
      io.netty.util.AttributeKey.valueOf("plugmesh.upstream.tls");

  private final Class<? extends Channel> channelClass;
  private final Map<EventLoop, LoopPools> pools = new ConcurrentHashMap<>();
  private final UpstreamTlsContexts tls = new UpstreamTlsContexts();

  /**
   * Creates a connector.
   *
   * @param channelClass the socket channel class matching the event loops (epoll or NIO)
   */
  public UpstreamConnector(Class<? extends Channel> channelClass) {
    this.channelClass = channelClass;
  }

  /**
   * Acquires a channel for one attempt.
   *
   * @param loop the attempt's event loop; must be the caller's thread
   * @param target the endpoint
   * @return a future completed on {@code loop}; fails with {@link UpstreamException}
   */
  public Future<UpstreamChannel> acquire(EventLoop loop, UpstreamTarget target) {
    LoopPools loopPools = pools.computeIfAbsent(loop, l -> new LoopPools());
    Promise<UpstreamChannel> promise = loop.newPromise();
    if (target.protocol() == UpstreamProtocol.HTTP2) {
      loopPools.h2.computeIfAbsent(target.key(), k -> new H2Connection(loop, target)).open(promise);
    } else {
      loopPools.h1Pool(loop, target).acquire(target, promise);
    }
    return promise;
  }

  /**
   * The clusters' client TLS contexts; the runtime loads them before a config takes effect.
   *
   * @return the contexts
   */
  public UpstreamTlsContexts tls() {
    return tls;
  }

  @Override
  public void close() {
    for (LoopPools p : pools.values()) {
      p.loop().forEach(Runnable::run);
    }
    pools.clear();
    tls.close();
  }

  /** The TLS files a connection was made with. */
  private record TlsStamp(CertificateSource source, long generation) {}

  /** The current TLS context of a TLS target; null for plaintext. */
  private CertificateSource.Loaded tlsFor(UpstreamTarget target) throws UpstreamException {
    if (target.tls() == null) {
      return null;
    }
    CertificateSource source = tls.get(target.tls(), target.protocol());
    if (source == null) {
      throw new UpstreamException(
          UpstreamException.Kind.CONNECT_FAILURE,
          "upstream connect error to " + target.address() + ": TLS files not loaded");
    }
    return source.current();
  }

  private void addTls(Channel c, UpstreamTarget target, CertificateSource.Loaded loaded) {
    SslHandler ssl = loaded.context().newHandler(c.alloc(), target.host(), target.port());
    ssl.setHandshakeTimeoutMillis(Math.max(1, target.connectTimeout().toMillis()));
    c.pipeline().addFirst("tls", ssl);
    c.attr(TLS_STAMP)
        .set(new TlsStamp(tls.get(target.tls(), target.protocol()), loaded.generation()));
  }

  /** Whether a channel was made with TLS files that have been replaced since. */
  private static boolean staleTls(Channel ch) {
    TlsStamp stamp = ch.attr(TLS_STAMP).get();
    return stamp != null && stamp.source().current().generation() != stamp.generation();
  }

  static UpstreamException connectFailure(UpstreamTarget target, Throwable cause) {
    String reason =
        cause instanceof ConnectException
            ? "connection refused"
            : cause instanceof io.netty.channel.ConnectTimeoutException
                ? "connect timeout"
                : String.valueOf(cause.getMessage());
    return new UpstreamException(
        UpstreamException.Kind.CONNECT_FAILURE,
        "upstream connect error to " + target.address() + ": " + reason);
  }

  /** Fires when a connection has been idle for the cluster's {@code idleTimeout}. */
  private static IdleStateHandler idleHandler(UpstreamTarget target) {
    return new IdleStateHandler(0, 0, target.idleTimeout().toNanos(), TimeUnit.NANOSECONDS);
  }

  private Bootstrap bootstrap(EventLoop loop, UpstreamTarget target) {
    return new Bootstrap()
        .group(loop)
        .channel(channelClass)
        .option(ChannelOption.AUTO_READ, false)
        .option(ChannelOption.TCP_NODELAY, true)
        .option(
            ChannelOption.CONNECT_TIMEOUT_MILLIS,
            (int) Math.min(Integer.MAX_VALUE, target.connectTimeout().toMillis()));
  }

  /** The pools of one event loop; touched only from that loop. */
  private final class LoopPools {
    final Map<UpstreamTarget.PoolKey, H1Pool> h1 = new HashMap<>();
    final Map<UpstreamTarget.PoolKey, H2Connection> h2 = new HashMap<>();

    /**
     * Pools by target identity, direct-mapped, so a request finds its pool without building and
     * hashing a pool key: a target lives as long as its config version, a slot is overwritten by
     * the next target hashing to it, and pools are never removed, so a hit is always current.
     */
    private final UpstreamTarget[] recentTargets = new UpstreamTarget[RECENT_TARGETS];

    private final H1Pool[] recentPools = new H1Pool[RECENT_TARGETS];

    H1Pool h1Pool(EventLoop loop, UpstreamTarget target) {
      int slot = System.identityHashCode(target) & (RECENT_TARGETS - 1);
      if (recentTargets[slot] == target) {
        return recentPools[slot];
      }
      H1Pool pool = h1.computeIfAbsent(target.key(), k -> new H1Pool(loop, target.tls() != null));
      recentTargets[slot] = target;
      recentPools[slot] = pool;
      return pool;
    }

    Iterable<Runnable> loop() {
      java.util.List<Runnable> closers = new java.util.ArrayList<>();
      h1.values().forEach(p -> closers.add(p::closeIdle));
      h2.values().forEach(c -> closers.add(c::close));
      return closers;
    }
  }

  /** Pooled HTTP/1.1 connections to one endpoint on one event loop. */
  private final class H1Pool {
    private final EventLoop loop;
    private final ArrayDeque<Dispatcher> idle = new ArrayDeque<>();
    private final boolean tls;
    private int open;

    H1Pool(EventLoop loop, boolean tls) {
      this.loop = loop;
      this.tls = tls;
    }

    void acquire(UpstreamTarget target, Promise<UpstreamChannel> promise) {
      Dispatcher pooled;
      while ((pooled = idle.pollFirst()) != null) {
        Channel ch = pooled.channel;
        if (ch.isActive() && tls && staleTls(ch)) {
          ch.close();
        } else if (ch.isActive()) {
          pooled.inPool = false;
          promise.setSuccess(new Lent(ch, pooled, true));
          return;
        }
      }
      if (open >= target.maxConnections()) {
        promise.setFailure(
            new UpstreamException(
                UpstreamException.Kind.OVERFLOW,
                "upstream "
                    + target.address()
                    + ": "
                    + open
                    + " connections in use (maxConnectionsPerEndpoint)"));
        return;
      }
      CertificateSource.Loaded loaded;
      try {
        loaded = tlsFor(target);
      } catch (UpstreamException e) {
        promise.setFailure(e);
        return;
      }
      ClusterHealth breaker = target.health();
      if (breaker != null && !breaker.tryOpenConnection()) {
        promise.setFailure(
            new UpstreamException(
                UpstreamException.Kind.OVERFLOW,
                "cluster '"
                    + breaker.name()
                    + "' circuit breaker open (maxConnections "
                    + breaker.maxConnections()
                    + ")"));
        return;
      }
      open++;
      Dispatcher dispatcher = new Dispatcher();
      ChannelFuture connect =
          bootstrap(loop, target)
              .handler(
                  new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel c) {
                      dispatcher.channel = c;
                      c.pipeline()
                          .addLast(
                              "codec",
                              new HttpClientCodec(
                                  new HttpDecoderConfig()
                                      .setMaxInitialLineLength(MAX_RESPONSE_HEADER_BYTES)
                                      .setMaxHeaderSize(MAX_RESPONSE_HEADER_BYTES)
                                      .setMaxChunkSize(MAX_CHUNK_BYTES),
                                  false,
                                  false))
                          .addLast("idle", idleHandler(target))
                          .addLast(DISPATCHER, dispatcher);
                      if (loaded != null) {
                        addTls(c, target, loaded);
                      }
                    }
                  })
              .connect(target.host(), target.port());
      connect
          .channel()
          .closeFuture()
          .addListener(
              f -> {
                open--;
                idle.remove(dispatcher);
                if (breaker != null) {
                  breaker.connectionClosed();
                }
              });
      connect.addListener(
          f -> {
            if (!f.isSuccess()) {
              promise.setFailure(connectFailure(target, f.cause()));
            } else if (loaded == null) {
              promise.setSuccess(new Lent(connect.channel(), dispatcher, false));
            } else {
              SslHandler ssl = connect.channel().pipeline().get(SslHandler.class);
              ssl.handshakeFuture()
                  .addListener(
                      h -> {
                        if (h.isSuccess()) {
                          promise.setSuccess(new Lent(connect.channel(), dispatcher, false));
                        } else {
                          connect.channel().close();
                          promise.setFailure(connectFailure(target, h.cause()));
                        }
                      });
              // The handshake needs reads; the channel does not read on its own.
              connect.channel().read();
            }
          });
    }

    void closeIdle() {
      Dispatcher pooled;
      while ((pooled = idle.pollFirst()) != null) {
        pooled.channel.close();
      }
    }

    /** A pooled connection lent to one attempt. */
    private final class Lent implements UpstreamChannel {
      private final Channel channel;
      private final Dispatcher dispatcher;
      private final boolean reused;
      private boolean released;

      Lent(Channel channel, Dispatcher dispatcher, boolean reused) {
        this.channel = channel;
        this.dispatcher = dispatcher;
        this.reused = reused;
      }

      @Override
      public void attach(ChannelInboundHandler handler) {
        if (!released) {
          dispatcher.attempt = handler;
        }
      }

      @Override
      public Channel channel() {
        return channel;
      }

      @Override
      public boolean reused() {
        return reused;
      }

      @Override
      public void release(boolean reusable) {
        if (released) {
          return;
        }
        released = true;
        dispatcher.attempt = null;
        if (reusable && channel.isActive() && !(tls && staleTls(channel))) {
          dispatcher.inPool = true;
          idle.addFirst(dispatcher);
          // Read while idle so a close by the upstream is noticed; the dispatcher drops stray
          // bytes.
          channel.read();
        } else {
          channel.close();
        }
      }
    }
  }

  /**
   * The permanent last handler of a pooled HTTP/1.1 connection: passes inbound events to the
   * attempt the connection is lent to, and closes the connection when it is idle too long in the
   * pool or the upstream talks on it unasked. Touched only from the connection's event loop.
   */
  private static final class Dispatcher extends ChannelInboundHandlerAdapter {
    /** The connection; set when its pipeline is built. */
    Channel channel;

    /** The attempt the connection is lent to; null while connecting or in the pool. */
    ChannelInboundHandler attempt;

    /** Whether the connection waits in the pool. */
    boolean inPool;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
      if (attempt != null) {
        attempt.channelRead(ctx, msg);
      } else if (inPool) {
        ReferenceCountUtil.release(msg);
        ctx.close();
      } else {
        ctx.fireChannelRead(msg);
      }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
      if (attempt != null) {
        attempt.userEventTriggered(ctx, evt);
      } else if (evt instanceof IdleStateEvent && inPool) {
        ctx.close();
      } else {
        ctx.fireUserEventTriggered(evt);
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
      if (attempt != null) {
        attempt.channelInactive(ctx);
      } else {
        ctx.fireChannelInactive();
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) throws Exception {
      if (attempt != null) {
        attempt.exceptionCaught(ctx, cause);
      } else if (inPool) {
        ctx.close();
      } else {
        ctx.fireExceptionCaught(cause);
      }
    }
  }

  /** One multiplexed HTTP/2 (h2c prior knowledge, or h2 over TLS) connection to an endpoint. */
  private final class H2Connection {
    private final EventLoop loop;
    private final UpstreamTarget target;
    private ChannelFuture connection;

    H2Connection(EventLoop loop, UpstreamTarget target) {
      this.loop = loop;
      this.target = target;
    }

    void open(Promise<UpstreamChannel> promise) {
      CertificateSource.Loaded loaded;
      try {
        loaded = tlsFor(target);
      } catch (UpstreamException e) {
        promise.setFailure(e);
        return;
      }
      if (connection == null
          || (connection.isDone()
              && (!connection.isSuccess() || !connection.channel().isActive()))) {
        connection = connect(loaded);
      } else if (connection.isDone() && staleTls(connection.channel())) {
        // Replaced TLS files: new streams go to a new connection; the old one ends gracefully
        // (GOAWAY) once its streams finish.
        Channel old = connection.channel();
        connection = connect(loaded);
        old.close();
      }
      ChannelFuture conn = connection;
      if (conn.isDone()) {
        openStream(conn, promise);
      } else {
        conn.addListener(f -> openStream(conn, promise));
      }
    }

    private void openStream(ChannelFuture conn, Promise<UpstreamChannel> promise) {
      if (!conn.isSuccess()) {
        promise.setFailure(connectFailure(target, conn.cause()));
        return;
      }
      new Http2StreamChannelBootstrap(conn.channel())
          .option(ChannelOption.AUTO_READ, false)
          .handler(new Http2StreamFrameToHttpObjectCodec(false, false))
          .open()
          .addListener(
              (Future<Http2StreamChannel> f) -> {
                if (f.isSuccess()) {
                  Http2StreamChannel stream = f.getNow();
                  promise.setSuccess(
                      new UpstreamChannel() {
                        @Override
                        public Channel channel() {
                          return stream;
                        }

                        @Override
                        public boolean reused() {
                          return true;
                        }

                        @Override
                        public void attach(ChannelInboundHandler handler) {
                          stream.pipeline().addLast(STREAM_HANDLER, handler);
                        }

                        @Override
                        public void release(boolean reusable) {
                          if (stream.pipeline().get(STREAM_HANDLER) != null) {
                            stream.pipeline().remove(STREAM_HANDLER);
                          }
                          stream.close();
                        }
                      });
                } else {
                  promise.setFailure(
                      new UpstreamException(
                          UpstreamException.Kind.OVERFLOW,
                          "upstream "
                              + target.address()
                              + ": cannot open an HTTP/2 stream: "
                              + f.cause().getMessage()));
                }
              });
    }

    private ChannelFuture connect(CertificateSource.Loaded loaded) {
      ChannelFuture tcp = connectTcp(loaded);
      if (loaded == null) {
        return tcp;
      }
      ChannelPromise ready = tcp.channel().newPromise();
      tcp.addListener(
          f -> {
            if (!f.isSuccess()) {
              ready.tryFailure(f.cause());
              return;
            }
            SslHandler ssl = tcp.channel().pipeline().get(SslHandler.class);
            ssl.handshakeFuture()
                .addListener(
                    h -> {
                      if (!h.isSuccess()) {
                        ready.tryFailure(h.cause());
                        tcp.channel().close();
                      } else if (!ApplicationProtocolNames.HTTP_2.equals(
                          ssl.applicationProtocol())) {
                        ready.tryFailure(
                            new SSLException(
                                "the upstream did not select h2 by ALPN (got "
                                    + ssl.applicationProtocol()
                                    + ")"));
                        tcp.channel().close();
                      } else {
                        ready.trySuccess();
                      }
                    });
          });
      return ready;
    }

    private ChannelFuture connectTcp(CertificateSource.Loaded loaded) {
      return bootstrap(loop, target)
          .option(ChannelOption.AUTO_READ, true)
          .handler(
              new ChannelInitializer<Channel>() {
                @Override
                protected void initChannel(Channel c) {
                  c.pipeline()
                      .addLast(
                          Http2FrameCodecBuilder.forClient()
                              .initialSettings(
                                  Http2Settings.defaultSettings()
                                      .pushEnabled(false)
                                      .maxHeaderListSize(MAX_RESPONSE_HEADER_BYTES))
                              .validateHeaders(true)
                              .build())
                      .addLast(
                          new Http2MultiplexHandler(
                              new ChannelInboundHandlerAdapter() {
                                @Override
                                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                  ReferenceCountUtil.release(msg);
                                }
                              }))
                      .addLast("idle", idleHandler(target))
                      .addLast(
                          new ChannelInboundHandlerAdapter() {
                            @Override
                            public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                              if (evt instanceof IdleStateEvent) {
                                ctx.close();
                              }
                            }

                            @Override
                            public void exceptionCaught(ChannelHandlerContext ctx, Throwable t) {
                              ctx.close();
                            }
                          });
                  if (loaded != null) {
                    addTls(c, target, loaded);
                  }
                }
              })
          .connect(target.host(), target.port());
    }

    void close() {
      if (connection != null) {
        connection.channel().close();
      }
    }
  }
}
