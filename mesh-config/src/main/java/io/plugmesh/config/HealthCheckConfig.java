package io.plugmesh.config;

import java.time.Duration;

/**
 * Active health checks: the proxy probes every endpoint; unhealthy endpoints get no traffic.
 * Endpoints start healthy and the first probe runs at once.
 *
 * @param type {@code http} (GET {@code path}, healthy on 2xx) or {@code tcp} (connect)
 * @param path the HTTP path to probe
 * @param interval time between probes of one endpoint
 * @param timeout a probe that takes longer fails
 * @param healthyThreshold passing probes in a row that make an unhealthy endpoint healthy
 * @param unhealthyThreshold failing probes in a row that make a healthy endpoint unhealthy
 */
public record HealthCheckConfig(
    Type type,
    String path,
    Duration interval,
    Duration timeout,
    int healthyThreshold,
    int unhealthyThreshold) {

  /** How endpoints are probed. */
  public enum Type {
    /** An HTTP/1.1 GET of the path; 2xx is healthy. */
    HTTP,
    /** A TCP connect. */
    TCP
  }

  /** Defaults: HTTP GET /healthz every 5 s, 1 s timeout, 2 to become healthy, 3 unhealthy. */
  public static final HealthCheckConfig DEFAULTS =
      new HealthCheckConfig(
          Type.HTTP, "/healthz", Duration.ofSeconds(5), Duration.ofSeconds(1), 2, 3);
}
