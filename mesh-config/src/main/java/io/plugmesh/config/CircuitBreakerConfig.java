package io.plugmesh.config;

/**
 * Bounds on what one proxy sends to a cluster; beyond them requests fail at once with 503 and the
 * {@code UO} flag instead of queueing.
 *
 * @param maxConnections upstream connections open to the cluster's endpoints
 * @param maxPendingRequests attempts waiting for a connection
 * @param maxRequests attempts in flight
 * @param maxRetries retry attempts (second and later tries) in flight
 */
public record CircuitBreakerConfig(
    int maxConnections, int maxPendingRequests, int maxRequests, int maxRetries) {

  /** Envoy's defaults: 1024 connections, pending and requests; 3 concurrent retries. */
  public static final CircuitBreakerConfig DEFAULTS = new CircuitBreakerConfig(1024, 1024, 1024, 3);
}
