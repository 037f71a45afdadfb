package io.plugmesh.benchmarks.relay;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.http.HttpClientCodec;

/** The downstream side: opens this connection's own upstream connection, then relays. */
final class FrontendHandler extends RelayHandler {
  private final Class<? extends Channel> clientType;
  private final String upstreamHost;
  private final int upstreamPort;

  FrontendHandler(Class<? extends Channel> clientType, String upstreamHost, int upstreamPort) {
    super(null);
    this.clientType = clientType;
    this.upstreamHost = upstreamHost;
    this.upstreamPort = upstreamPort;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    Channel inbound = ctx.channel();
    ChannelFuture connect =
        new Bootstrap()
            .group(inbound.eventLoop())
            .channel(clientType)
            .option(ChannelOption.AUTO_READ, false)
            .option(ChannelOption.TCP_NODELAY, true)
            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, BareRelay.CONNECT_TIMEOUT_MILLIS)
            .handler(
                new ChannelInitializer<>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    ch.pipeline().addLast(new HttpClientCodec(), new RelayHandler(inbound));
                  }
                })
            .connect(upstreamHost, upstreamPort);
    connect.addListener(
        (ChannelFutureListener)
            f -> {
              if (!f.isSuccess()) {
                inbound.close();
              } else if (!inbound.isActive()) {
                f.channel().close(); // the client left while we were connecting
              } else {
                peer(f.channel());
                inbound.read();
                f.channel().read();
              }
            });
  }
}
