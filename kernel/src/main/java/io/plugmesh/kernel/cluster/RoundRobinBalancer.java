package io.plugmesh.kernel.cluster;

import io.plugmesh.config.LbPolicy;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/** Each endpoint in turn, from one shared atomic counter; weights are ignored. */
final class RoundRobinBalancer extends AbstractBalancer {
  private final AtomicInteger next = new AtomicInteger();

  RoundRobinBalancer(Endpoint[] endpoints) {
    super(LbPolicy.ROUND_ROBIN, endpoints);
  }

  @Override
  Endpoint pick() {
    return endpoints[Math.floorMod(next.getAndIncrement(), endpoints.length)];
  }

  /** Goes on around the ring past the avoided endpoints. */
  @Override
  Endpoint pickAllowed(Set<Endpoint> avoid, int allowed) {
    for (int i = 0; i < endpoints.length; i++) {
      Endpoint e = pick();
      if (!avoid.contains(e)) {
        return e;
      }
    }
    return nthAllowed(avoid, 0); // other threads moved the counter past every allowed endpoint
  }
}
