package io.plugmesh.kernel.cluster;

import static java.util.Objects.requireNonNull;

import io.plugmesh.config.LbPolicy;
import java.util.List;
import java.util.Set;

/**
 * Chooses an endpoint of a cluster for each request. Implementations are thread-safe and do not
 * allocate on the hot path.
 *
 * <pre>{@code
 * LoadBalancer lb = LoadBalancer.create(LbPolicy.LEAST_REQUEST, endpoints);
 * Endpoint first = lb.choose();
 * Endpoint retry = lb.choose(Set.of(first)); // another endpoint when there is one
 * }</pre>
 */
public interface LoadBalancer {

  /**
   * Chooses an endpoint.
   *
   * @return the endpoint, or null if the cluster has none
   */
  Endpoint choose();

  /**
   * Chooses an endpoint outside {@code avoid} when there is one (for a retry after a failure on
   * those); when every endpoint is in {@code avoid}, chooses as {@link #choose()} does.
   *
   * @param avoid endpoints already tried; empty or null to avoid none
   * @return the endpoint, or null if the cluster has none
   */
  Endpoint choose(Set<Endpoint> avoid);

  /**
   * The endpoints this balancer chooses among.
   *
   * @return the endpoints in config order
   */
  List<Endpoint> endpoints();

  /**
   * The policy this balancer applies.
   *
   * @return the policy
   */
  LbPolicy policy();

  /**
   * Creates a balancer.
   *
   * <ul>
   *   <li>{@code ROUND_ROBIN}: each endpoint in turn (weights ignored).
   *   <li>{@code RANDOM}: uniformly at random (weights ignored).
   *   <li>{@code WEIGHTED_RANDOM}: at random in proportion to the weights.
   *   <li>{@code LEAST_REQUEST}: of two endpoints picked at random, the one with fewer requests in
   *       flight (weights ignored).
   * </ul>
   *
   * @param policy the policy
   * @param endpoints the endpoints; may be empty, then {@code choose} returns null
   * @return the balancer
   */
  static LoadBalancer create(LbPolicy policy, List<Endpoint> endpoints) {
    requireNonNull(policy, "policy");
    requireNonNull(endpoints, "endpoints");
    Endpoint[] array = endpoints.toArray(Endpoint[]::new);
    for (int i = 0; i < array.length; i++) {
      requireNonNull(array[i], "endpoints[" + i + "]");
    }
    return switch (policy) {
      case ROUND_ROBIN -> new RoundRobinBalancer(array);
      case RANDOM -> new RandomBalancer(array);
      case WEIGHTED_RANDOM -> new WeightedRandomBalancer(array);
      case LEAST_REQUEST -> new LeastRequestBalancer(array);
    };
  }
}
