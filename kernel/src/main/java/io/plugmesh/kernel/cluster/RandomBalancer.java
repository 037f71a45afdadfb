package io.plugmesh.kernel.cluster;

import io.plugmesh.config.LbPolicy;
import java.util.concurrent.ThreadLocalRandom;

/** Uniformly at random; weights are ignored. */
final class RandomBalancer extends AbstractBalancer {
  RandomBalancer(Endpoint[] endpoints) {
    super(LbPolicy.RANDOM, endpoints);
  }

  @Override
  Endpoint pick() {
    return endpoints[ThreadLocalRandom.current().nextInt(endpoints.length)];
  }
}
