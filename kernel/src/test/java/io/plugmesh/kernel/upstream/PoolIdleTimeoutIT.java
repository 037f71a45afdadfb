package io.plugmesh.kernel.upstream;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.plugmesh.config.ConfigLoader;
import io.plugmesh.config.UpstreamProtocol;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Pooled HTTP/1.1 connections close after their cluster's {@code idleTimeout} in the pool. */
class PoolIdleTimeoutIT {
  final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  final UpstreamConnector connector = new UpstreamConnector(NioSocketChannel.class);
  final EventLoop loop = group.next();

  @AfterEach
  void stop() throws Exception {
    loop.submit(connector::close).get(5, SECONDS);
    group.shutdownGracefully(0, 1, SECONDS).sync();
  }

  UpstreamTarget target(int port, Duration idleTimeout) {
    return new UpstreamTarget(
        "127.0.0.1",
        port,
        UpstreamProtocol.HTTP1,
        Duration.ofSeconds(2),
        4,
        null,
        null,
        idleTimeout);
  }

  UpstreamChannel acquire(UpstreamTarget target) throws Exception {
    return loop.submit(() -> connector.acquire(loop, target)).get(5, SECONDS).get(5, SECONDS);
  }

  void release(UpstreamChannel lent) throws Exception {
    loop.submit(() -> lent.release(true)).get(5, SECONDS);
  }

  @Test
  void aConnectionIdleInThePoolLongerThanTheClusterIdleTimeoutIsClosed() throws Exception {
    try (ServerSocket upstream = new ServerSocket(0, 8, InetAddress.getLoopbackAddress())) {
      UpstreamChannel lent = acquire(target(upstream.getLocalPort(), Duration.ofMillis(200)));
      try (Socket accepted = upstream.accept()) {
        Channel channel = lent.channel();
        long pooledAt = System.nanoTime();
        release(lent);
        assertThat(channel.closeFuture().await(5, SECONDS)).isTrue();
        assertThat(Duration.ofNanos(System.nanoTime() - pooledAt))
            .isGreaterThan(Duration.ofMillis(150));
        accepted.setSoTimeout(5_000);
        assertThat(accepted.getInputStream().read())
            .as("the upstream sees the close")
            .isEqualTo(-1);
      }
    }
  }

  @Test
  void withTheDefaultIdleTimeoutAPooledConnectionStaysAndIsReused() throws Exception {
    try (ServerSocket upstream = new ServerSocket(0, 8, InetAddress.getLoopbackAddress())) {
      UpstreamTarget target = target(upstream.getLocalPort(), ConfigLoader.DEFAULT_IDLE_TIMEOUT);
      UpstreamChannel first = acquire(target);
      try (Socket accepted = upstream.accept()) {
        assertThat(accepted.isConnected()).isTrue();
        release(first);
        Thread.sleep(500);
        assertThat(first.channel().isActive()).isTrue();
        UpstreamChannel again = acquire(target);
        assertThat(again.reused()).isTrue();
        assertThat(again.channel()).isSameAs(first.channel());
        loop.submit(() -> again.release(false)).get(5, SECONDS);
      }
    }
  }
}
