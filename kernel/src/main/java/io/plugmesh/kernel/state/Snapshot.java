package io.plugmesh.kernel.state;

import io.plugmesh.config.ClusterConfig;
import io.plugmesh.config.HeadersWithUnderscores;
import io.plugmesh.config.ListenerConfig;
import io.plugmesh.config.MeshConfig;
import io.plugmesh.config.route.RouteTable;
import io.plugmesh.kernel.cluster.ClusterHealth;
import io.plugmesh.pluginruntime.BuiltChain;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * One immutable config version, compiled: route tables per listener, chains per route, clusters.
 * The proxy swaps snapshots atomically; an exchange keeps the snapshot it started on, so in-flight
 * requests finish on the old chains.
 */
public final class Snapshot {
  private final long version;
  private final MeshConfig config;
  private final Instant createdAt = Instant.now();
  private final Map<String, RouteTable> tables = new HashMap<>();
  private final Map<String, HeadersWithUnderscores> underscores = new HashMap<>();
  private final Map<String, BuiltChain> chains;
  private final Map<String, ClusterState> clusters = new HashMap<>();

  private Snapshot(
      long version,
      MeshConfig config,
      Map<String, BuiltChain> chains,
      Map<String, ClusterHealth> health) {
    this.version = version;
    this.config = config;
    this.chains = Map.copyOf(chains);
    for (ListenerConfig listener : config.listeners()) {
      tables.put(listener.name(), RouteTable.compile(config.routes(), listener.routes()));
      underscores.put(listener.name(), listener.headersWithUnderscores());
    }
    for (ClusterConfig cluster : config.clusters()) {
      clusters.put(cluster.name(), new ClusterState(cluster, health.get(cluster.name())));
    }
  }

  /**
   * Compiles a validated config with its already built chains.
   *
   * @param version the config version
   * @param config the config, already validated
   * @param chains the chain of every route, by route name
   * @return the snapshot
   */
  public static Snapshot build(long version, MeshConfig config, Map<String, BuiltChain> chains) {
    return build(version, config, chains, Map.of());
  }

  /**
   * Compiles a validated config with its chains and the clusters' live health.
   *
   * @param version the config version
   * @param config the config, already validated
   * @param chains the chain of every route, by route name
   * @param health each cluster's health by name (from a {@code ClusterRegistry})
   * @return the snapshot
   */
  public static Snapshot build(
      long version,
      MeshConfig config,
      Map<String, BuiltChain> chains,
      Map<String, ClusterHealth> health) {
    for (var route : config.routes()) {
      if (!chains.containsKey(route.name())) {
        throw new IllegalArgumentException("route '" + route.name() + "' has no built chain");
      }
    }
    return new Snapshot(version, config, chains, health);
  }

  /**
   * The config version.
   *
   * @return the version
   */
  public long version() {
    return version;
  }

  /**
   * The config this snapshot was compiled from.
   *
   * @return the config
   */
  public MeshConfig config() {
    return config;
  }

  /**
   * When this snapshot was built.
   *
   * @return the instant
   */
  public Instant createdAt() {
    return createdAt;
  }

  /**
   * The routes a listener serves.
   *
   * @param listener the listener name
   * @return its route table (empty for an unknown listener)
   */
  public RouteTable routes(String listener) {
    RouteTable table = tables.get(listener);
    return table != null ? table : EMPTY;
  }

  /**
   * What a listener does with request header names that contain an underscore.
   *
   * @param listener the listener name
   * @return its rule (the default for an unknown listener)
   */
  public HeadersWithUnderscores headersWithUnderscores(String listener) {
    return underscores.getOrDefault(listener, ListenerConfig.DEFAULT_HEADERS_WITH_UNDERSCORES);
  }

  private static final RouteTable EMPTY = RouteTable.compile(java.util.List.of());

  /**
   * A route's chain.
   *
   * @param route the route name
   * @return the chain
   */
  public BuiltChain chain(String route) {
    return chains.get(route);
  }

  /**
   * A cluster.
   *
   * @param name the cluster name
   * @return the cluster, or null
   */
  public ClusterState cluster(String name) {
    return clusters.get(name);
  }

  /**
   * Every route's chain.
   *
   * @return chains by route name
   */
  public Map<String, BuiltChain> chains() {
    return chains;
  }
}
