package io.plugmesh.config;

import java.time.Duration;

/**
 * Passive health: an endpoint that answers too many errors in a row is ejected for a while.
 *
 * @param consecutive5xx 5xx responses (or failures before a response) in a row that eject; 0 off
 * @param consecutiveGatewayErrors 502, 503, 504 or connect/reset failures in a row that eject; 0
 *     off
 * @param baseEjectionTime the first ejection's length; the n-th ejection lasts n times this
 * @param maxEjectionTime the longest ejection
 * @param maxEjectionPercent the most endpoints of the cluster ejected at once, in percent (at least
 *     one endpoint may always be ejected when the cluster has more than one)
 */
public record OutlierDetectionConfig(
    int consecutive5xx,
    int consecutiveGatewayErrors,
    Duration baseEjectionTime,
    Duration maxEjectionTime,
    int maxEjectionPercent) {

  /** Envoy-like defaults: 5 in a row, 30 s growing to 300 s, at most 10 % ejected. */
  public static final OutlierDetectionConfig DEFAULTS =
      new OutlierDetectionConfig(5, 5, Duration.ofSeconds(30), Duration.ofSeconds(300), 10);
}
