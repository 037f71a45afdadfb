package io.plugmesh.config;

import java.time.Duration;
import java.util.List;

/**
 * An upstream service.
 *
 * @param name a unique name routes refer to
 * @param lb how an endpoint is chosen
 * @param protocol how the proxy talks to the endpoints
 * @param endpoints the static endpoints
 * @param connectTimeout the TCP (and TLS) connect timeout; a miss answers 503
 * @param idleTimeout an upstream connection idle in the pool longer than this is closed
 * @param maxConnectionsPerEndpoint the HTTP/1.1 pool size per endpoint (idle and busy)
 * @param circuitBreaker bounds on connections, pending, active requests and retries
 * @param outlierDetection passive ejection of failing endpoints, or null for none
 * @param healthCheck active probes, or null for none
 * @param tls TLS (or mutual TLS) to the endpoints, or null for plaintext
 */
public record ClusterConfig(
    String name,
    LbPolicy lb,
    UpstreamProtocol protocol,
    List<EndpointConfig> endpoints,
    Duration connectTimeout,
    Duration idleTimeout,
    int maxConnectionsPerEndpoint,
    CircuitBreakerConfig circuitBreaker,
    OutlierDetectionConfig outlierDetection,
    HealthCheckConfig healthCheck,
    UpstreamTlsConfig tls) {
  public ClusterConfig {
    endpoints = List.copyOf(endpoints);
    if (circuitBreaker == null) {
      circuitBreaker = CircuitBreakerConfig.DEFAULTS;
    }
  }

  /**
   * This cluster with other TLS settings.
   *
   * @param tls TLS to the endpoints, or null for plaintext
   * @return the copy
   */
  public ClusterConfig withTls(UpstreamTlsConfig tls) {
    return new ClusterConfig(
        name,
        lb,
        protocol,
        endpoints,
        connectTimeout,
        idleTimeout,
        maxConnectionsPerEndpoint,
        circuitBreaker,
        outlierDetection,
        healthCheck,
        tls);
  }

  /**
   * A plaintext cluster with the default idle timeout.
   *
   * @param name the name
   * @param lb the policy
   * @param protocol the protocol
   * @param endpoints the endpoints
   * @param connectTimeout the connect timeout
   * @param maxConnectionsPerEndpoint the pool size per endpoint
   * @param circuitBreaker the breakers, or null for the defaults
   * @param outlierDetection outlier detection, or null
   * @param healthCheck health checks, or null
   */
  public ClusterConfig(
      String name,
      LbPolicy lb,
      UpstreamProtocol protocol,
      List<EndpointConfig> endpoints,
      Duration connectTimeout,
      int maxConnectionsPerEndpoint,
      CircuitBreakerConfig circuitBreaker,
      OutlierDetectionConfig outlierDetection,
      HealthCheckConfig healthCheck) {
    this(
        name,
        lb,
        protocol,
        endpoints,
        connectTimeout,
        ConfigLoader.DEFAULT_IDLE_TIMEOUT,
        maxConnectionsPerEndpoint,
        circuitBreaker,
        outlierDetection,
        healthCheck,
        null);
  }

  /**
   * A cluster with the default idle timeout, default circuit breakers, no outlier detection and no
   * health checks.
   *
   * @param name the name
   * @param lb the policy
   * @param protocol the protocol
   * @param endpoints the endpoints
   * @param connectTimeout the connect timeout
   * @param maxConnectionsPerEndpoint the pool size per endpoint
   */
  public ClusterConfig(
      String name,
      LbPolicy lb,
      UpstreamProtocol protocol,
      List<EndpointConfig> endpoints,
      Duration connectTimeout,
      int maxConnectionsPerEndpoint) {
    this(
        name,
        lb,
        protocol,
        endpoints,
        connectTimeout,
        ConfigLoader.DEFAULT_IDLE_TIMEOUT,
        maxConnectionsPerEndpoint,
        CircuitBreakerConfig.DEFAULTS,
        null,
        null,
        null);
  }
}
