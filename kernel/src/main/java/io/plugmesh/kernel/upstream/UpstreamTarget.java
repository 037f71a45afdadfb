package io.plugmesh.kernel.upstream;

import io.plugmesh.config.ConfigLoader;
import io.plugmesh.config.UpstreamProtocol;
import io.plugmesh.config.UpstreamTlsConfig;
import io.plugmesh.kernel.cluster.ClusterHealth;
import java.time.Duration;

/**
 * Where and how to reach one upstream endpoint.
 *
 * @param host the host
 * @param port the port
 * @param protocol HTTP/1.1 or HTTP/2 (h2c)
 * @param connectTimeout the connect timeout
 * @param maxConnections the most HTTP/1.1 connections per event loop to this endpoint
 * @param health the cluster's breaker that new connections are charged to, or null
 * @param tls TLS to originate, or null for plaintext
 * @param idleTimeout a connection idle in the pool longer than this is closed
 */
public record UpstreamTarget(
    String host,
    int port,
    UpstreamProtocol protocol,
    Duration connectTimeout,
    int maxConnections,
    ClusterHealth health,
    UpstreamTlsConfig tls,
    Duration idleTimeout) {

  /**
   * A plaintext target with the default idle timeout.
   *
   * @param host the host
   * @param port the port
   * @param protocol HTTP/1.1 or HTTP/2 (h2c)
   * @param connectTimeout the connect timeout
   * @param maxConnections the most HTTP/1.1 connections per event loop to this endpoint
   * @param health the cluster's breaker, or null
   */
  public UpstreamTarget(
      String host,
      int port,
      UpstreamProtocol protocol,
      Duration connectTimeout,
      int maxConnections,
      ClusterHealth health) {
    this(
        host,
        port,
        protocol,
        connectTimeout,
        maxConnections,
        health,
        null,
        ConfigLoader.DEFAULT_IDLE_TIMEOUT);
  }

  /** The pool key: endpoints with the same key share connections across config versions. */
  PoolKey key() {
    return new PoolKey(protocol, host, port, tls);
  }

  /** Identifies a pool: same protocol, host, port and TLS settings. */
  record PoolKey(UpstreamProtocol protocol, String host, int port, UpstreamTlsConfig tls) {}

  /**
   * The endpoint as {@code host:port}.
   *
   * @return the address text
   */
  public String address() {
    return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
  }
}
