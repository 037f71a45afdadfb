package io.plugmesh.config;

import java.util.List;

/**
 * The desired state a proxy serves: listeners, clusters and routes. One model for the YAML file,
 * the control stream and the in-memory snapshot.
 *
 * @param listeners where the proxy accepts traffic
 * @param clusters upstream services and their endpoints
 * @param routes how requests map to clusters, each with its ordered plugin chain
 */
public record MeshConfig(
    List<ListenerConfig> listeners, List<ClusterConfig> clusters, List<RouteConfig> routes) {
  public MeshConfig {
    listeners = List.copyOf(listeners);
    clusters = List.copyOf(clusters);
    routes = List.copyOf(routes);
  }
}
