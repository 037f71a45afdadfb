package io.plugmesh.kernel.cluster;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.concurrent.ScheduledFuture;
import io.plugmesh.config.EndpointConfig;
import io.plugmesh.config.HealthCheckConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Probes every endpoint of a cluster on a fixed delay (HTTP GET or TCP connect) and reports each
 * result to the cluster's {@link ClusterHealth}. Probes never block: they are channels like any
 * other, with a timeout.
 */
final class HealthChecker implements AutoCloseable {
  /** The user agent probes send, so upstream logs can tell them apart. */
  static final String USER_AGENT = "plugmesh-health-check";

  private final ClusterHealth health;
  private final HealthCheckConfig config;
  private final Class<? extends Channel> channelClass;
  private final List<ScheduledFuture<?>> tasks = new ArrayList<>();
  private final AtomicBoolean closed = new AtomicBoolean();

  HealthChecker(
      ClusterHealth health,
      HealthCheckConfig config,
      List<EndpointConfig> endpoints,
      EventLoopGroup group,
      Class<? extends Channel> channelClass) {
    this.health = health;
    this.config = config;
    this.channelClass = channelClass;
    for (EndpointConfig endpoint : endpoints) {
      EventLoop loop = group.next();
      tasks.add(
          loop.scheduleWithFixedDelay(
              () -> probe(loop, endpoint), 0, config.interval().toNanos(), TimeUnit.NANOSECONDS));
    }
  }

  private void probe(EventLoop loop, EndpointConfig endpoint) {
    if (closed.get()) {
      return;
    }
    AtomicBoolean reported = new AtomicBoolean();
    Bootstrap b =
        new Bootstrap()
            .group(loop)
            .channel(channelClass)
            .option(
                ChannelOption.CONNECT_TIMEOUT_MILLIS,
                (int) Math.max(1, Math.min(Integer.MAX_VALUE, config.timeout().toMillis())))
            .handler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    if (config.type() == HealthCheckConfig.Type.HTTP) {
                      ch.pipeline()
                          .addLast(new HttpClientCodec())
                          .addLast(
                              new SimpleChannelInboundHandler<HttpObject>() {
                                @Override
                                protected void channelRead0(
                                    ChannelHandlerContext ctx, HttpObject msg) {
                                  if (msg instanceof HttpResponse r) {
                                    int code = r.status().code();
                                    report(
                                        reported,
                                        endpoint,
                                        code >= 200 && code < 300,
                                        "GET " + config.path() + " answered " + code);
                                    ctx.close();
                                  }
                                }

                                @Override
                                public void exceptionCaught(
                                    ChannelHandlerContext ctx, Throwable t) {
                                  report(reported, endpoint, false, t.toString());
                                  ctx.close();
                                }

                                @Override
                                public void channelInactive(ChannelHandlerContext ctx) {
                                  report(reported, endpoint, false, "closed without a response");
                                }
                              });
                    }
                  }
                });
    ChannelFuture connect = b.connect(endpoint.host(), endpoint.port());
    ScheduledFuture<?> deadline =
        loop.schedule(
            () -> {
              report(
                  reported,
                  endpoint,
                  false,
                  "timeout after " + config.timeout().toMillis() + " ms");
              connect.channel().close();
            },
            config.timeout().toNanos(),
            TimeUnit.NANOSECONDS);
    connect.channel().closeFuture().addListener(f -> deadline.cancel(false));
    connect.addListener(
        f -> {
          if (!f.isSuccess()) {
            report(reported, endpoint, false, "connect failed: " + f.cause().getMessage());
            return;
          }
          if (config.type() == HealthCheckConfig.Type.TCP) {
            report(reported, endpoint, true, "connected");
            connect.channel().close();
            return;
          }
          DefaultFullHttpRequest request =
              new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, config.path());
          request
              .headers()
              .set(HttpHeaderNames.HOST, endpoint.address())
              .set(HttpHeaderNames.USER_AGENT, USER_AGENT)
              .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
          connect.channel().writeAndFlush(request);
        });
  }

  private void report(AtomicBoolean reported, EndpointConfig endpoint, boolean ok, String detail) {
    if (!closed.get() && reported.compareAndSet(false, true)) {
      health.probed(endpoint.address(), ok, detail);
    }
  }

  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      tasks.forEach(t -> t.cancel(false));
    }
  }
}
