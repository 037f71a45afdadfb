package io.plugmesh.kernel.config;

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
 * @param maxConnectionsPerEndpoint the HTTP/1.1 pool size per endpoint (idle and busy)
 */
public record ClusterConfig(
    String name,
    LbPolicy lb,
    UpstreamProtocol protocol,
    List<EndpointConfig> endpoints,
    Duration connectTimeout,
    int maxConnectionsPerEndpoint) {
  public ClusterConfig {
    endpoints = List.copyOf(endpoints);
  }
}
