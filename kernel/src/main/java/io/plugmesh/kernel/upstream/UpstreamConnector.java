package io.plugmesh.kernel.upstream;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.plugmesh.config.UpstreamProtocol;
import io.plugmesh.filters.advanced.UpstreamException;
import io.plugmesh.kernel.tls.UpstreamTlsContexts;
import java.net.ConnectException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

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

  /** Slots of each loop's target-to-pool cache; a power of two. */
  private static final int RECENT_TARGETS = 64;

  private final Class<? extends Channel> channelClass;
  private final Map<EventLoop, LoopPools> pools = new ConcurrentHashMap<>();
  private final UpstreamTlsContexts tls = new UpstreamTlsContexts();
  private final ConnectionTls connectionTls = new ConnectionTls(tls);

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
      loopPools
          .h2
          .computeIfAbsent(target.key(), k -> new Http2Connection(this, loop, target))
          .open(promise);
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

  /** TLS for new connections, and the stamps that tell a connection's files are old. */
  ConnectionTls connectionTls() {
    return connectionTls;
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
  static IdleStateHandler idleHandler(UpstreamTarget target) {
    return new IdleStateHandler(0, 0, target.idleTimeout().toNanos(), TimeUnit.NANOSECONDS);
  }

  /** A bootstrap for a new connection on {@code loop}: reads only when asked, no Nagle. */
  Bootstrap bootstrap(EventLoop loop, UpstreamTarget target) {
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
    final Map<UpstreamTarget.PoolKey, Http1Pool> h1 = new HashMap<>();
    final Map<UpstreamTarget.PoolKey, Http2Connection> h2 = new HashMap<>();

    /**
     * Pools by target identity, direct-mapped, so a request finds its pool without building and
     * hashing a pool key: a target lives as long as its config version, a slot is overwritten by
     * the next target hashing to it, and pools are never removed, so a hit is always current.
     */
    private final UpstreamTarget[] recentTargets = new UpstreamTarget[RECENT_TARGETS];

    private final Http1Pool[] recentPools = new Http1Pool[RECENT_TARGETS];

    Http1Pool h1Pool(EventLoop loop, UpstreamTarget target) {
      int slot = System.identityHashCode(target) & (RECENT_TARGETS - 1);
      if (recentTargets[slot] == target) {
        return recentPools[slot];
      }
      Http1Pool pool =
          h1.computeIfAbsent(
              target.key(), k -> new Http1Pool(UpstreamConnector.this, loop, target.tls() != null));
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
}
