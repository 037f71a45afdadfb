package io.plugmesh.kernel.state;

import io.plugmesh.config.ClusterConfig;
import io.plugmesh.config.EndpointConfig;
import io.plugmesh.kernel.cluster.ClusterHealth;
import io.plugmesh.kernel.cluster.Endpoint;
import io.plugmesh.kernel.cluster.LoadBalancer;
import io.plugmesh.kernel.upstream.UpstreamTarget;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** A cluster as the data path uses it: endpoints with live counters and a load balancer. */
public final class ClusterState {
  private final ClusterConfig config;
  private final List<Endpoint> endpoints;
  private final LoadBalancer loadBalancer;
  private final Map<Endpoint, UpstreamTarget> targets = new IdentityHashMap<>();

  private final ClusterHealth health;

  ClusterState(ClusterConfig config, ClusterHealth health) {
    this.config = config;
    this.health = health;
    List<Endpoint> eps = new ArrayList<>(config.endpoints().size());
    for (EndpointConfig e : config.endpoints()) {
      Endpoint endpoint = Endpoint.of(e);
      eps.add(endpoint);
      targets.put(
          endpoint,
          new UpstreamTarget(
              e.host(),
              e.port(),
              config.protocol(),
              config.connectTimeout(),
              config.maxConnectionsPerEndpoint(),
              health,
              config.tls(),
              config.idleTimeout()));
    }
    this.endpoints = List.copyOf(eps);
    this.loadBalancer = LoadBalancer.create(config.lb(), endpoints);
  }

  /**
   * The cluster's config.
   *
   * @return the config
   */
  public ClusterConfig config() {
    return config;
  }

  /**
   * The endpoints.
   *
   * @return the endpoints
   */
  public List<Endpoint> endpoints() {
    return endpoints;
  }

  /**
   * The load balancer over {@link #endpoints()}.
   *
   * @return the load balancer
   */
  public LoadBalancer loadBalancer() {
    return loadBalancer;
  }

  /**
   * The cluster's live resilience state (breakers, ejections, health checks).
   *
   * @return the health, or null in tests that build snapshots without it
   */
  public ClusterHealth health() {
    return health;
  }

  /**
   * Chooses an available endpoint for an attempt.
   *
   * @param tried endpoints earlier attempts used (avoided when possible)
   * @return the endpoint, or null when none is available
   */
  public Endpoint choose(Set<Endpoint> tried) {
    return health == null ? loadBalancer.choose(tried) : health.choose(loadBalancer, tried);
  }

  /**
   * How to reach an endpoint of this cluster.
   *
   * @param endpoint one of {@link #endpoints()}
   * @return its target
   */
  public UpstreamTarget target(Endpoint endpoint) {
    return targets.get(endpoint);
  }
}
