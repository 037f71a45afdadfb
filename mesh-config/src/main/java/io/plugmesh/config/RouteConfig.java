package io.plugmesh.config;

import java.time.Duration;
import java.util.List;

/**
 * A route: what requests it matches, where they go and which plugins run, in order.
 *
 * @param name a unique name, used in metrics and logs
 * @param match the request criteria
 * @param backends the clusters with weights (one for a plain route, several for a canary split)
 * @param timeout the whole request's deadline through all attempts; a miss answers 504
 * @param plugins the chain in execution order
 */
public record RouteConfig(
    String name,
    MatchConfig match,
    List<BackendRef> backends,
    Duration timeout,
    List<PluginEntry> plugins) {
  public RouteConfig {
    backends = List.copyOf(backends);
    plugins = List.copyOf(plugins);
  }
}
