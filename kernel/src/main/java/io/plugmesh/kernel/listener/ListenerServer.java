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
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.flow.FlowControlHandler;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.plugmesh.kernel.config.Limits;
import io.plugmesh.kernel.config.ListenerConfig;
import io.plugmesh.kernel.proxy.ListenerContext;
import io.plugmesh.kernel.proxy.ProxyHandler;
import java.io.File;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;

/**
 * One listening socket: HTTP/1.1 and h2c (prior knowledge) on plaintext ports, h2 and http/1.1 by
 * ALPN on TLS ports; every connection ends in {@link ProxyHandler}s.
 */
public final class ListenerServer implements AutoCloseable {
  /** Largest request body chunk the HTTP/1.1 decoder emits at once (bytes). */
  static final int MAX_CHUNK_BYTES = 64 * 1024;

  /** Bytes allowed on the request line besides the target (method, spaces, version). */
  static final int REQUEST_LINE_OVERHEAD = 64;

  private final ListenerConfig config;
  private final Channel server;

  private ListenerServer(ListenerConfig config, Channel server) {
    this.config = config;
    this.server = server;
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
    SslContext ssl = config.tls() == null ? null : sslContext(config);
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
                    ch.closeFuture()
                        .addListener(f -> context.runtime().connectionClosed(context.name()));
                    Pipelines pipelines = new Pipelines(context, limits);
                    if (ssl != null) {
                      ch.pipeline()
                          .addLast(ssl.newHandler(ch.alloc()))
                          .addLast(
                              new ApplicationProtocolNegotiationHandler(
                                  ApplicationProtocolNames.HTTP_1_1) {
                                @Override
                                protected void configurePipeline(
                                    ChannelHandlerContext ctx, String protocol) {
                                  if (ApplicationProtocolNames.HTTP_2.equals(protocol)) {
                                    pipelines.http2(ctx);
                                  } else {
                                    pipelines.http1(ctx);
                                  }
                                }
                              });
                      ch.read();
                    } else {
                      ch.pipeline().addLast(new ProtocolDetector(pipelines, limits.idleTimeout()));
                    }
                  }
                });
    Channel bound = b.bind(config.host(), config.port()).sync().channel();
    return new ListenerServer(config, bound);
  }

  private static SslContext sslContext(ListenerConfig config) throws SSLException {
    return SslContextBuilder.forServer(
            new File(config.tls().certificateFile()), new File(config.tls().privateKeyFile()))
        .applicationProtocolConfig(
            new ApplicationProtocolConfig(
                ApplicationProtocolConfig.Protocol.ALPN,
                ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                ApplicationProtocolNames.HTTP_2,
                ApplicationProtocolNames.HTTP_1_1))
        .build();
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

  /** Stops accepting; open connections finish their exchanges. */
  @Override
  public void close() {
    server.close().syncUninterruptibly();
  }

  /** Builds the HTTP/1.1 and HTTP/2 pipelines of one connection. */
  private static final class Pipelines implements ProtocolDetector.Setup {
    private final ListenerContext context;
    private final Limits limits;

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
          .addAfter("idle", "proxy", new ProxyHandler(context, false, null, headTimeout));
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
                          .addLast(
                              new ProxyHandler(context, true, null, ProxyHandler.HeadWatch.NONE));
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
