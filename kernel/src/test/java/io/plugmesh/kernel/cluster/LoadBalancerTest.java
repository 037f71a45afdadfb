package io.plugmesh.kernel.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.plugmesh.config.LbPolicy;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class LoadBalancerTest {
  private static final int PICKS = 20_000;

  private static List<Endpoint> endpoints(int... weights) {
    Endpoint[] list = new Endpoint[weights.length];
    for (int i = 0; i < weights.length; i++) {
      list[i] = new Endpoint("127.0.0." + (i + 1), 8080, weights[i]);
    }
    return List.of(list);
  }

  private static Map<Endpoint, Integer> count(LoadBalancer lb, Set<Endpoint> avoid, int picks) {
    Map<Endpoint, Integer> counts = new IdentityHashMap<>();
    for (int i = 0; i < picks; i++) {
      counts.merge(avoid == null ? lb.choose() : lb.choose(avoid), 1, Integer::sum);
    }
    return counts;
  }

  @ParameterizedTest
  @EnumSource(LbPolicy.class)
  void emptyClusterChoosesNull(LbPolicy policy) {
    LoadBalancer lb = LoadBalancer.create(policy, List.of());
    assertThat(lb.choose()).isNull();
    assertThat(lb.choose(Set.of())).isNull();
    assertThat(lb.policy()).isEqualTo(policy);
  }

  @ParameterizedTest
  @EnumSource(LbPolicy.class)
  void singleEndpointIsAlwaysChosen(LbPolicy policy) {
    List<Endpoint> one = endpoints(5);
    LoadBalancer lb = LoadBalancer.create(policy, one);
    for (int i = 0; i < 50; i++) {
      assertThat(lb.choose()).isSameAs(one.get(0));
      assertThat(lb.choose(Set.of(one.get(0)))).isSameAs(one.get(0));
    }
  }

  @Test
  void roundRobinTakesEachInTurn() {
    List<Endpoint> eps = endpoints(1, 1, 1);
    LoadBalancer lb = LoadBalancer.create(LbPolicy.ROUND_ROBIN, eps);
    Endpoint first = lb.choose();
    int start = eps.indexOf(first);
    for (int i = 1; i < 30; i++) {
      assertThat(lb.choose()).isSameAs(eps.get((start + i) % 3));
    }
  }

  @Test
  void randomIsRoughlyUniformAndIgnoresWeights() {
    List<Endpoint> eps = endpoints(1, 1, 8);
    Map<Endpoint, Integer> counts = count(LoadBalancer.create(LbPolicy.RANDOM, eps), null, PICKS);
    // expected 6667 each; sd ~ 67
    for (Endpoint e : eps) {
      assertThat(counts.get(e)).isBetween(6_100, 7_200);
    }
  }

  @Test
  void weightedRandomFollowsTheWeights() {
    List<Endpoint> eps = endpoints(1, 3, 6);
    Map<Endpoint, Integer> counts =
        count(LoadBalancer.create(LbPolicy.WEIGHTED_RANDOM, eps), null, PICKS);
    // expected 2000 / 6000 / 12000; sd <= 70
    assertThat(counts.get(eps.get(0))).isBetween(1_600, 2_400);
    assertThat(counts.get(eps.get(1))).isBetween(5_500, 6_500);
    assertThat(counts.get(eps.get(2))).isBetween(11_400, 12_600);
  }

  @Test
  void leastRequestPrefersTheIdleEndpoint() {
    List<Endpoint> eps = endpoints(1, 1);
    eps.get(0).requestStarted();
    LoadBalancer lb = LoadBalancer.create(LbPolicy.LEAST_REQUEST, eps);
    for (int i = 0; i < 100; i++) {
      assertThat(lb.choose()).isSameAs(eps.get(1));
    }
    eps.get(0).requestFinished();
    eps.get(1).requestStarted();
    for (int i = 0; i < 100; i++) {
      assertThat(lb.choose()).isSameAs(eps.get(0));
    }
  }

  @Test
  void leastRequestNeverChoosesTheBusiestOfMany() {
    List<Endpoint> eps = endpoints(1, 1, 1, 1);
    for (int i = 0; i < 5; i++) {
      eps.get(2).requestStarted();
    }
    eps.get(0).requestStarted();
    Map<Endpoint, Integer> counts =
        count(LoadBalancer.create(LbPolicy.LEAST_REQUEST, eps), null, PICKS);
    assertThat(counts.get(eps.get(2))).isNull();
    // the idle two win every pair they are in; endpoint 0 only wins against the busiest
    assertThat(counts.get(eps.get(1))).isGreaterThan(counts.getOrDefault(eps.get(0), 0));
    assertThat(counts.get(eps.get(3))).isGreaterThan(counts.getOrDefault(eps.get(0), 0));
  }

  @Test
  void leastRequestSpreadsEvenlyWhenAllAreIdle() {
    List<Endpoint> eps = endpoints(1, 1, 1, 1);
    Map<Endpoint, Integer> counts =
        count(LoadBalancer.create(LbPolicy.LEAST_REQUEST, eps), null, PICKS);
    for (Endpoint e : eps) {
      assertThat(counts.get(e)).isBetween(4_400, 5_600);
    }
  }

  @ParameterizedTest
  @EnumSource(LbPolicy.class)
  void avoidSetIsHonouredWhenAnotherEndpointExists(LbPolicy policy) {
    List<Endpoint> eps = endpoints(1, 2, 3, 4);
    LoadBalancer lb = LoadBalancer.create(policy, eps);
    Set<Endpoint> avoid = Set.of(eps.get(0), eps.get(2));
    Map<Endpoint, Integer> counts = count(lb, avoid, 2_000);
    assertThat(counts.keySet()).containsOnly(eps.get(1), eps.get(3));
    assertThat(counts).containsKeys(eps.get(1), eps.get(3));
  }

  @ParameterizedTest
  @EnumSource(LbPolicy.class)
  void avoidingAllFallsBackToAnyEndpoint(LbPolicy policy) {
    List<Endpoint> eps = endpoints(1, 1, 1);
    LoadBalancer lb = LoadBalancer.create(policy, eps);
    for (int i = 0; i < 100; i++) {
      assertThat(lb.choose(Set.copyOf(eps))).isIn(eps);
    }
    assertThat(lb.choose(null)).isIn(eps);
  }

  @Test
  void weightedRandomKeepsProportionsAmongTheAllowed() {
    List<Endpoint> eps = endpoints(5, 1, 4);
    LoadBalancer lb = LoadBalancer.create(LbPolicy.WEIGHTED_RANDOM, eps);
    Map<Endpoint, Integer> counts = count(lb, Set.of(eps.get(0)), PICKS);
    // among weights 1 and 4: expected 4000 / 16000; sd ~ 57
    assertThat(counts.get(eps.get(1))).isBetween(3_500, 4_500);
    assertThat(counts.get(eps.get(2))).isBetween(15_500, 16_500);
  }

  @Test
  void leastRequestAmongTheAllowedStillPrefersTheIdle() {
    List<Endpoint> eps = endpoints(1, 1, 1);
    eps.get(1).requestStarted();
    LoadBalancer lb = LoadBalancer.create(LbPolicy.LEAST_REQUEST, eps);
    for (int i = 0; i < 100; i++) {
      assertThat(lb.choose(Set.of(eps.get(0)))).isSameAs(eps.get(2));
    }
  }

  @Test
  void roundRobinIsEvenUnderConcurrency() throws Exception {
    List<Endpoint> eps = endpoints(1, 1, 1, 1);
    LoadBalancer lb = LoadBalancer.create(LbPolicy.ROUND_ROBIN, eps);
    int threads = 4;
    int perThread = 5_000;
    Thread[] workers = new Thread[threads];
    for (int t = 0; t < threads; t++) {
      workers[t] =
          new Thread(
              () -> {
                for (int i = 0; i < perThread; i++) {
                  lb.choose().requestStarted();
                }
              });
      workers[t].start();
    }
    for (Thread worker : workers) {
      worker.join(10_000);
      assertThat(worker.isAlive()).isFalse();
    }
    for (Endpoint e : eps) {
      assertThat(e.activeRequests()).isEqualTo(threads * perThread / eps.size());
    }
  }

  @Test
  void endpointsAreExposedInConfigOrder() {
    List<Endpoint> eps = endpoints(1, 2);
    assertThat(LoadBalancer.create(LbPolicy.RANDOM, eps).endpoints())
        .containsExactlyElementsOf(eps);
  }
}
