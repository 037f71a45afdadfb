package io.plugmesh.kernel.upstream;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandler;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.plugmesh.filters.advanced.UpstreamException;
import io.plugmesh.kernel.tls.CertificateSource;
import javax.net.ssl.SSLException;

/**
 * One multiplexed HTTP/2 connection (h2c prior knowledge, or h2 over TLS with ALPN) to an endpoint
 * from one event loop; each attempt gets a stream of its own. A connection made with TLS files that
 * have since been replaced takes no new streams: the next one opens a new connection and the old
 * one ends gracefully once its streams finish. Touched only from its loop.
 */
final class Http2Connection {
  /** The name of the attempt's handler in a stream's pipeline. */
  private static final String STREAM_HANDLER = "plugmesh-attempt";

  private final UpstreamConnector connector;
  private final EventLoop loop;
  private final UpstreamTarget target;
  private ChannelFuture connection;

  Http2Connection(UpstreamConnector connector, EventLoop loop, UpstreamTarget target) {
    this.connector = connector;
    this.loop = loop;
    this.target = target;
  }

  void open(Promise<UpstreamChannel> promise) {
    CertificateSource.Loaded loaded;
    try {
      loaded = connector.connectionTls().current(target);
    } catch (UpstreamException e) {
      promise.setFailure(e);
      return;
    }
    if (connection == null
        || (connection.isDone() && (!connection.isSuccess() || !connection.channel().isActive()))) {
      connection = connect(loaded);
    } else if (connection.isDone() && ConnectionTls.stale(connection.channel())) {
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
      promise.setFailure(UpstreamConnector.connectFailure(target, conn.cause()));
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
                    } else if (!ApplicationProtocolNames.HTTP_2.equals(ssl.applicationProtocol())) {
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
    return connector
        .bootstrap(loop, target)
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
                                    .maxHeaderListSize(UpstreamConnector.MAX_RESPONSE_HEADER_BYTES))
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
                    .addLast("idle", UpstreamConnector.idleHandler(target))
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
                  connector.connectionTls().add(c, target, loaded);
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
