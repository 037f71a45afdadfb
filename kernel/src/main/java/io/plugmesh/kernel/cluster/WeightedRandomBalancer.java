package io.plugmesh.kernel.cluster;

import io.plugmesh.config.LbPolicy;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/** At random in proportion to the weights: cumulative weights and a binary search. */
final class WeightedRandomBalancer extends AbstractBalancer {
  private final long[] cumulative;

  WeightedRandomBalancer(Endpoint[] endpoints) {
    super(LbPolicy.WEIGHTED_RANDOM, endpoints);
    cumulative = new long[endpoints.length];
    long total = 0;
    for (int i = 0; i < endpoints.length; i++) {
      total += endpoints[i].weight();
      cumulative[i] = total;
    }
  }

  @Override
  Endpoint pick() {
    long r = ThreadLocalRandom.current().nextLong(cumulative[cumulative.length - 1]);
    int low = 0;
    int high = cumulative.length - 1;
    while (low < high) {
      int mid = (low + high) >>> 1;
      if (cumulative[mid] > r) {
        high = mid;
      } else {
        low = mid + 1;
      }
    }
    return endpoints[low];
  }

  /** Still in proportion to the weights, among the allowed endpoints. */
  @Override
  Endpoint pickAllowed(Set<Endpoint> avoid, int allowed) {
    long total = 0;
    for (Endpoint e : endpoints) {
      if (!avoid.contains(e)) {
        total += e.weight();
      }
    }
    long r = ThreadLocalRandom.current().nextLong(total);
    for (Endpoint e : endpoints) {
      if (!avoid.contains(e)) {
        r -= e.weight();
        if (r < 0) {
          return e;
        }
      }
    }
    return nthAllowed(avoid, allowed - 1);
  }
}
