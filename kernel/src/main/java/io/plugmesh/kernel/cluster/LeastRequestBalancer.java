package io.plugmesh.kernel.cluster;

import io.plugmesh.config.LbPolicy;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Power of two random choices: of two distinct endpoints picked at random, the one with fewer
 * requests in flight (the first on a tie). Weights are ignored. The busiest endpoint is never
 * chosen while another has fewer requests.
 */
final class LeastRequestBalancer extends AbstractBalancer {
  LeastRequestBalancer(Endpoint[] endpoints) {
    super(LbPolicy.LEAST_REQUEST, endpoints);
  }

  @Override
  Endpoint pick() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    int a = random.nextInt(endpoints.length);
    int b = random.nextInt(endpoints.length - 1);
    if (b >= a) {
      b++;
    }
    return lessBusy(endpoints[a], endpoints[b]);
  }

  @Override
  Endpoint pickAllowed(Set<Endpoint> avoid, int allowed) {
    if (allowed == 1) {
      return nthAllowed(avoid, 0);
    }
    ThreadLocalRandom random = ThreadLocalRandom.current();
    int a = random.nextInt(allowed);
    int b = random.nextInt(allowed - 1);
    if (b >= a) {
      b++;
    }
    return lessBusy(nthAllowed(avoid, a), nthAllowed(avoid, b));
  }

  private static Endpoint lessBusy(Endpoint first, Endpoint second) {
    return second.activeRequests() < first.activeRequests() ? second : first;
  }
}
