package io.plugmesh.kernel.cluster;

import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.plugmesh.config.ClusterConfig;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Keeps each cluster's {@link ClusterHealth} across config versions, keyed by cluster name; starts
 * and stops health checks as clusters come and go.
 */
public final class ClusterRegistry implements AutoCloseable {
  private final EventLoopGroup group;
  private final Class<? extends Channel> channelClass;
  private final Map<String, ClusterHealth> clusters = new HashMap<>();

  /**
   * Creates a registry.
   *
   * @param group where health probes run; null disables active health checks (tests)
   * @param channelClass the socket channel class for probes
   */
  public ClusterRegistry(EventLoopGroup group, Class<? extends Channel> channelClass) {
    this.group = group;
    this.channelClass = channelClass;
  }

  /**
   * The health of every cluster of a new config version; clusters no longer present are closed.
   *
   * @param configs the clusters of the new version
   * @return health by cluster name
   */
  public synchronized Map<String, ClusterHealth> apply(List<ClusterConfig> configs) {
    Map<String, ClusterHealth> next = new HashMap<>();
    for (ClusterConfig config : configs) {
      ClusterHealth health = clusters.computeIfAbsent(config.name(), ClusterHealth::new);
      health.update(config, group, channelClass);
      next.put(config.name(), health);
    }
    for (Map.Entry<String, ClusterHealth> e : clusters.entrySet()) {
      if (!next.containsKey(e.getKey())) {
        e.getValue().close();
      }
    }
    clusters.keySet().retainAll(next.keySet());
    return Map.copyOf(next);
  }

  @Override
  public synchronized void close() {
    clusters.values().forEach(ClusterHealth::close);
    clusters.clear();
  }
}
