package io.plugmesh.kernel.cluster;

import io.plugmesh.config.LbPolicy;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/** What every policy shares: the endpoint array and choosing outside an avoid set. */
abstract class AbstractBalancer implements LoadBalancer {
  final Endpoint[] endpoints;
  private final LbPolicy policy;
  private final List<Endpoint> endpointList;

  AbstractBalancer(LbPolicy policy, Endpoint[] endpoints) {
    this.policy = policy;
    this.endpoints = endpoints;
    this.endpointList = List.of(endpoints);
  }

  @Override
  public final Endpoint choose() {
    return switch (endpoints.length) {
      case 0 -> null;
      case 1 -> endpoints[0];
      default -> pick();
    };
  }

  @Override
  public final Endpoint choose(Set<Endpoint> avoid) {
    Endpoint first = choose();
    if (first == null || avoid == null || avoid.isEmpty() || !avoid.contains(first)) {
      return first;
    }
    int allowed = 0;
    for (Endpoint e : endpoints) {
      if (!avoid.contains(e)) {
        allowed++;
      }
    }
    return allowed == 0 ? first : pickAllowed(avoid, allowed);
  }

  /** Picks among two or more endpoints. */
  abstract Endpoint pick();

  /**
   * Picks among the endpoints not in {@code avoid}; {@code allowed} of them, at least one. The
   * default picks one uniformly at random.
   */
  Endpoint pickAllowed(Set<Endpoint> avoid, int allowed) {
    return nthAllowed(avoid, ThreadLocalRandom.current().nextInt(allowed));
  }

  /** The endpoint of the given rank among those not in {@code avoid}, in config order. */
  final Endpoint nthAllowed(Set<Endpoint> avoid, int rank) {
    int seen = 0;
    for (Endpoint e : endpoints) {
      if (!avoid.contains(e) && seen++ == rank) {
        return e;
      }
    }
    throw new IllegalStateException("rank " + rank + " beyond the allowed endpoints");
  }

  @Override
  public final List<Endpoint> endpoints() {
    return endpointList;
  }

  @Override
  public final LbPolicy policy() {
    return policy;
  }

  @Override
  public String toString() {
    return policy.configName() + " " + endpointList;
  }
}
