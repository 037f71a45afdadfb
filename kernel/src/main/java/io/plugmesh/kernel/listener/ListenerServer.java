package io.plugmesh.kernel.listener;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.flow.FlowControlHandler;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.plugmesh.config.Limits;
import io.plugmesh.config.ListenerConfig;
import io.plugmesh.config.TlsMode;
import io.plugmesh.kernel.proxy.ListenerContext;
import io.plugmesh.kernel.proxy.ProxyHandler;
import io.plugmesh.kernel.tls.CertificateSource;
import io.plugmesh.kernel.tls.PeerIdentity;
import io.plugmesh.kernel.tls.TlsContexts;
import io.plugmesh.pluginruntime.CauseLog;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One listening socket: HTTP/1.1 and h2c (prior knowledge) on plaintext ports, h2 and http/1.1 by
 * ALPN on TLS ports (both on permissive ports), with the client's verified mesh identity handed to
 * every exchange; every connection ends in {@link ProxyHandler}s.
 */
public final class ListenerServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ListenerServer.class);

  /** Largest request body chunk the HTTP/1.1 decoder emits at once (bytes). */
  static final int MAX_CHUNK_BYTES = 64 * 1024;

  /** Bytes allowed on the request line besides the target (method, spaces, version). */
  static final int REQUEST_LINE_OVERHEAD = 64;

  private final ListenerConfig config;
  private final Channel server;
  private final CertificateSource tls;

  private ListenerServer(ListenerConfig config, Channel server, CertificateSource tls) {
    this.config = config;
    this.server = server;
    this.tls = tls;
  }

  /**
   * Binds a listener.
   *
   * @param config the listener config
   * @param context what exchanges need
   * @param boss the acceptor loop
   * @param workers the connection loops
   * @param serverChannel the server channel class matching the loops
   * @return the bound listener
   * @throws InterruptedException if interrupted while binding
   * @throws SSLException if the certificate cannot be loaded
   */
  public static ListenerServer start(
      ListenerConfig config,
      ListenerContext context,
      EventLoopGroup boss,
      EventLoopGroup workers,
      Class<? extends ServerChannel> serverChannel)
      throws InterruptedException, SSLException {
    Limits limits = context.runtime().limits();
    CertificateSource ssl = tlsSource(config);
    TlsMode mode = ssl == null ? TlsMode.OFF : config.tls().mode();
    boolean mutual = ssl != null && config.tls().verifiesClients();
    ConnectionErrors errors = new ConnectionErrors(config.name(), context.runtime().causeLog());
    ServerBootstrap b =
        new ServerBootstrap()
            .group(boss, workers)
            .channel(serverChannel)
            .option(ChannelOption.SO_BACKLOG, 1024)
            .childOption(ChannelOption.AUTO_READ, false)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childHandler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    context.runtime().connectionOpened(context.name());
                    context.runtime().downstreams().opened(ch);
                    ch.closeFuture()
                        .addListener(f -> context.runtime().connectionClosed(context.name()));
                    Pipelines pipelines = new Pipelines(context, limits);
                    if (mode == TlsMode.STRICT) {
                      ch.pipeline().addLast(ssl.current().context().newHandler(ch.alloc()));
                      ch.pipeline()
                          .addLast(
                              new Negotiation(pipelines, mutual, context.runtime().causeLog()));
                      ch.read();
                    } else if (mode == TlsMode.PERMISSIVE) {
                      ch.pipeline()
                          .addLast(
                              new TlsSniffer(
                                  ctx -> {
                                    ctx.pipeline()
                                        .addAfter(
                                            ctx.name(),
                                            "alpn",
                                            new Negotiation(
                                                pipelines, false, context.runtime().causeLog()))
                                        .addAfter(
                                            ctx.name(),
                                            "tls",
                                            ssl.current().context().newHandler(ch.alloc()));
                                    ctx.pipeline().remove(ProtocolDetector.class);
                                  }))
                          .addLast(new ProtocolDetector(pipelines, limits.idleTimeout()));
                    } else {
                      ch.pipeline().addLast(new ProtocolDetector(pipelines, limits.idleTimeout()));
                    }
                    ch.pipeline().addLast(errors);
                  }
                });
    Channel bound;
    try {
      bound = b.bind(config.host(), config.port()).sync().channel();
    } catch (InterruptedException | RuntimeException e) {
      if (ssl != null) {
        ssl.close();
      }
      throw e;
    }
    return new ListenerServer(config, bound, ssl);
  }

  private static CertificateSource tlsSource(ListenerConfig config) throws SSLException {
    if (config.tls() == null || config.tls().mode() == TlsMode.OFF) {
      return null;
    }
    try {
      return TlsContexts.server(config.name(), config.tls());
    } catch (IOException e) {
      throw new SSLException(e.getMessage(), e);
    }
  }

  /**
   * Picks HTTP/2 or HTTP/1.1 by ALPN once the handshake is done, and hands the client's verified
   * identity to the exchanges; with {@code requireIdentity} a client without one is refused.
   */
  private static final class Negotiation extends ApplicationProtocolNegotiationHandler {
    private final Pipelines pipelines;
    private final boolean requireIdentity;
    private final CauseLog causeLog;

    Negotiation(Pipelines pipelines, boolean requireIdentity, CauseLog causeLog) {
      super(ApplicationProtocolNames.HTTP_1_1);
      this.pipelines = pipelines;
      this.requireIdentity = requireIdentity;
      this.causeLog = causeLog;
    }

    /** A client's failed handshake: one rate-limited line, not a stack trace per connection. */
    @Override
    protected void handshakeFailure(ChannelHandlerContext ctx, Throwable cause) {
      causeLog.warn(
          log,
          "tls-handshake",
          cause,
          "{} TLS handshake failed: {}",
          ctx.channel(),
          cause.toString());
      ctx.close();
    }

    /** Other failures go to {@link ConnectionErrors}, which logs them rate-limited. */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) throws Exception {
      if (cause instanceof DecoderException && cause.getCause() instanceof SSLException) {
        super.exceptionCaught(ctx, cause);
        return;
      }
      ctx.fireExceptionCaught(cause);
    }

    @Override
    protected void configurePipeline(ChannelHandlerContext ctx, String protocol) {
      SslHandler ssl = ctx.pipeline().get(SslHandler.class);
      javax.net.ssl.SSLSession session = ssl == null ? null : ssl.engine().getSession();
      String peer = PeerIdentity.peerOf(session);
      if (requireIdentity && peer == null) {
        ctx.close();
        return;
      }
      pipelines.clientCert = ClientCertHeader.of(PeerIdentity.localOf(session), peer);
      pipelines.peerIdentity = peer;
      if (ApplicationProtocolNames.HTTP_2.equals(protocol)) {
        pipelines.http2(ctx);
      } else {
        pipelines.http1(ctx);
      }
    }
  }

  /**
   * The listener's config.
   *
   * @return the config
   */
  public ListenerConfig config() {
    return config;
  }

  /**
   * The bound port.
   *
   * @return the port
   */
  public int port() {
    return ((InetSocketAddress) server.localAddress()).getPort();
  }

  /** Stops accepting; open connections stay until they close or are drained. */
  @Override
  public void close() {
    server.close().syncUninterruptibly();
    if (tls != null) {
      tls.close();
    }
  }

  /** Builds the HTTP/1.1 and HTTP/2 pipelines of one connection. */
  private static final class Pipelines implements ProtocolDetector.Setup {
    private final ListenerContext context;
    private final Limits limits;
    private String peerIdentity;
    private ClientCertHeader clientCert = ClientCertHeader.STRIP_ONLY;

    Pipelines(ListenerContext context, Limits limits) {
      this.context = context;
      this.limits = limits;
    }

    @Override
    public void http1(ChannelHandlerContext ctx) {
      ChannelPipeline p = ctx.pipeline();
      RequestHeadTimeout headTimeout = new RequestHeadTimeout(limits.requestHeadersTimeout());
      String name = ctx.name();
      p.addAfter(name, "head-timeout", headTimeout)
          .addAfter(
              "head-timeout",
              "http1",
              new HttpServerCodec(
                  new HttpDecoderConfig()
                      .setMaxInitialLineLength(limits.maxUriBytes() + REQUEST_LINE_OVERHEAD)
                      .setMaxHeaderSize(limits.maxHeaderBytes())
                      .setMaxChunkSize(MAX_CHUNK_BYTES)
                      .setValidateHeaders(true)
                      .setStrictLineParsing(true)))
          .addAfter("http1", "flow", new FlowControlHandler())
          .addAfter(
              "flow",
              "idle",
              new IdleStateHandler(0, 0, limits.idleTimeout().toMillis(), TimeUnit.MILLISECONDS))
          .addAfter("idle", "client-cert", clientCert)
          .addAfter(
              "client-cert", "proxy", new ProxyHandler(context, false, peerIdentity, headTimeout));
    }

    @Override
    public void http2(ChannelHandlerContext ctx) {
      ChannelPipeline p = ctx.pipeline();
      Http2FrameCodec codec =
          Http2FrameCodecBuilder.forServer()
              .initialSettings(
                  Http2Settings.defaultSettings()
                      .maxConcurrentStreams(limits.maxConcurrentStreams())
                      .maxHeaderListSize(limits.maxHeaderBytes()))
              .decoderEnforceMaxRstFramesPerWindow(
                  limits.maxResetsPerWindow(), (int) Math.max(1, limits.resetWindow().toSeconds()))
              .validateHeaders(true)
              // After GOAWAY the connection waits for its streams; the proxy's drain bounds that.
              .gracefulShutdownTimeoutMillis(-1)
              .build();
      String name = ctx.name();
      p.addAfter(name, "h2", codec)
          .addAfter(
              "h2",
              "h2-mux",
              new Http2MultiplexHandler(
                  new ChannelInitializer<Http2StreamChannel>() {
                    @Override
                    protected void initChannel(Http2StreamChannel stream) {
                      stream.config().setAutoRead(false);
                      stream
                          .pipeline()
                          .addLast(new Http2StreamFrameToHttpObjectCodec(true, true))
                          .addLast(new FlowControlHandler())
                          .addLast(clientCert)
                          .addLast(
                              new ProxyHandler(
                                  context, true, peerIdentity, ProxyHandler.HeadWatch.NONE));
                    }
                  }))
          .addAfter(
              "h2-mux",
              "idle",
              new IdleStateHandler(0, 0, limits.idleTimeout().toMillis(), TimeUnit.MILLISECONDS))
          .addAfter(
              "idle",
              "idle-close",
              new ChannelInboundHandlerAdapter() {
                @Override
                public void userEventTriggered(ChannelHandlerContext c, Object evt) {
                  if (evt instanceof IdleStateEvent && codec.connection().numActiveStreams() == 0) {
                    c.close();
                    return;
                  }
                  c.fireUserEventTriggered(evt);
                }
              });
      // The frame codec must always read; streams apply backpressure with flow-control windows.
      ctx.channel().config().setAutoRead(true);
    }
  }
}
