package io.plugmesh.kernel.state;

import io.plugmesh.kernel.cluster.Endpoint;
import io.plugmesh.kernel.cluster.LoadBalancer;
import io.plugmesh.kernel.config.ClusterConfig;
import io.plugmesh.kernel.config.EndpointConfig;
import io.plugmesh.kernel.upstream.UpstreamTarget;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/** A cluster as the data path uses it: endpoints with live counters and a load balancer. */
public final class ClusterState {
  private final ClusterConfig config;
  private final List<Endpoint> endpoints;
  private final LoadBalancer loadBalancer;
  private final Map<Endpoint, UpstreamTarget> targets = new IdentityHashMap<>();

  ClusterState(ClusterConfig config) {
    this.config = config;
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
              config.maxConnectionsPerEndpoint()));
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
   * How to reach an endpoint of this cluster.
   *
   * @param endpoint one of {@link #endpoints()}
   * @return its target
   */
  public UpstreamTarget target(Endpoint endpoint) {
    return targets.get(endpoint);
  }
}
