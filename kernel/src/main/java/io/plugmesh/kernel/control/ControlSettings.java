package io.plugmesh.kernel.control;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * How a proxy reaches the control service.
 *
 * @param servers control replicas as {@code host:port}, tried in turn
 * @param nodeId this proxy's unique id
 * @param service the service this proxy stands beside
 * @param labels labels that select config (version, zone)
 * @param token the bearer token sent to the control service, or null
 * @param stateDir where the last good config is persisted, or null to keep nothing on disk
 * @param initialBackoff the first reconnect delay (default {@link #DEFAULT_INITIAL_BACKOFF})
 * @param maxBackoff the largest reconnect delay (default {@link #DEFAULT_MAX_BACKOFF}); while the
 *     proxy has no config at all, {@link ControlClient#UNCONFIGURED_MAX_BACKOFF} if smaller
 */
public record ControlSettings(
    List<String> servers,
    String nodeId,
    String service,
    Map<String, String> labels,
    String token,
    Path stateDir,
    Duration initialBackoff,
    Duration maxBackoff) {

  /** First reconnect delay: 100 ms. */
  public static final Duration DEFAULT_INITIAL_BACKOFF = Duration.ofMillis(100);

  /** Largest reconnect delay: 10 s. */
  public static final Duration DEFAULT_MAX_BACKOFF = Duration.ofSeconds(10);

  /** Checks the settings. */
  public ControlSettings {
    servers = List.copyOf(servers);
    if (servers.isEmpty()) {
      throw new IllegalArgumentException("servers: empty (expected: at least one host:port)");
    }
    requireNonNull(nodeId, "nodeId");
    if (nodeId.isBlank()) {
      throw new IllegalArgumentException("nodeId: empty (expected: a unique proxy id)");
    }
    service = service == null ? "" : service;
    labels = Map.copyOf(labels);
    initialBackoff = initialBackoff == null ? DEFAULT_INITIAL_BACKOFF : initialBackoff;
    maxBackoff = maxBackoff == null ? DEFAULT_MAX_BACKOFF : maxBackoff;
    if (initialBackoff.isNegative() || initialBackoff.isZero()) {
      throw new IllegalArgumentException("initialBackoff: " + initialBackoff + " (expected: > 0)");
    }
    if (maxBackoff.compareTo(initialBackoff) < 0) {
      throw new IllegalArgumentException(
          "maxBackoff: " + maxBackoff + " (expected: >= initialBackoff " + initialBackoff + ")");
    }
  }

  /**
   * Settings with default backoff.
   *
   * @param servers the replicas
   * @param nodeId the node id
   * @param service the service
   * @param labels the labels
   * @param token the token or null
   * @param stateDir the state folder or null
   * @return the settings
   */
  public static ControlSettings of(
      List<String> servers,
      String nodeId,
      String service,
      Map<String, String> labels,
      String token,
      Path stateDir) {
    return new ControlSettings(servers, nodeId, service, labels, token, stateDir, null, null);
  }
}
