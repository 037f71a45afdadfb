package io.plugmesh.plugins.fault;

import static org.assertj.core.api.Assertions.assertThat;

import io.plugmesh.filters.advanced.ResponseFlag;
import io.plugmesh.filters.testkit.FilterHarness;
import io.plugmesh.filters.testkit.TestRequest;
import io.plugmesh.filters.testkit.TestResponse;
import java.time.Duration;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class FaultFilterTest {
  /** The next draw in [0, 1) the filter gets; tests set it to land on either side of a share. */
  private final AtomicReference<Double> draw = new AtomicReference<>(0.5);

  private FilterHarness harness(Map<String, ?> config) {
    return FilterHarness.of(new FaultFilterFactory(draw::get), config);
  }

  @Test
  void abortAnswersWithoutReachingTheUpstream() {
    FilterHarness h = harness(Map.of("abort", Map.of("httpStatus", 503)));
    TestResponse r = h.send(TestRequest.get("/reviews"));
    assertThat(r.status()).isEqualTo(503);
    assertThat(r.bodyText()).isEqualTo("fault filter abort\n");
    assertThat(r.fromUpstream()).isFalse();
    assertThat(r.answeredBy()).contains("fault");
    assertThat(r.responseFlags()).contains(ResponseFlag.FAULT_INJECTED);
    assertThat(h.upstream().attempts()).isZero();
    assertThat(h.metrics().count("aborts_injected")).isEqualTo(1);
  }

  @Test
  void grpcRequestsGetATrailersOnlyAnswer() {
    FilterHarness h = harness(Map.of("abort", Map.of("httpStatus", 503)));
    TestResponse r =
        h.send(TestRequest.post("/pkg.Svc/Call", "").header("content-type", "application/grpc"));
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.header("content-type")).isEqualTo("application/grpc");
    assertThat(r.header("grpc-status")).isEqualTo("14");
    assertThat(r.header("grpc-message")).isEqualTo("fault filter abort");
    assertThat(r.body()).isEmpty();

    FilterHarness custom = harness(Map.of("abort", Map.of("httpStatus", 500, "grpcStatus", 8)));
    TestResponse proto =
        custom.send(
            TestRequest.post("/pkg.Svc/Call", "").header("content-type", "application/grpc+proto"));
    assertThat(proto.header("grpc-status")).isEqualTo("8");
    TestResponse plain = custom.send(TestRequest.get("/"));
    assertThat(plain.status()).isEqualTo(500);
    assertThat(plain.header("grpc-status")).isNull();
  }

  @Test
  void onlyRequestsWithMatchingHeadersAreEligible() {
    FilterHarness h =
        harness(Map.of("abort", Map.of("httpStatus", 503), "headers", Map.of("x-fault", "on")));
    assertThat(h.send(TestRequest.get("/")).status()).isEqualTo(200);
    assertThat(h.send(TestRequest.get("/").header("x-fault", "off")).status()).isEqualTo(200);
    assertThat(h.send(TestRequest.get("/").header("X-Fault", "on")).status()).isEqualTo(503);
    assertThat(h.upstream().attempts()).isEqualTo(2);
  }

  @Test
  void percentageDecidesPerRequest() {
    FilterHarness h = harness(Map.of("abort", Map.of("httpStatus", 503, "percentage", 5)));
    draw.set(0.0499);
    assertThat(h.send(TestRequest.get("/")).status()).isEqualTo(503);
    draw.set(0.05);
    assertThat(h.send(TestRequest.get("/")).status()).isEqualTo(200);
    FilterHarness never = harness(Map.of("abort", Map.of("httpStatus", 503, "percentage", 0)));
    draw.set(0.0);
    assertThat(never.send(TestRequest.get("/")).status()).isEqualTo(200);
  }

  @Test
  void percentagesHoldOverManyRequests() {
    SplittableRandom seeded = new SplittableRandom(20261121L);
    FilterHarness h =
        FilterHarness.of(
            new FaultFilterFactory(seeded::nextDouble),
            Map.of("abort", Map.of("httpStatus", 503, "percentage", 20)));
    int n = 5000;
    int aborted = 0;
    for (int i = 0; i < n; i++) {
      if (h.send(TestRequest.get("/")).status() == 503) {
        aborted++;
      }
    }
    // Expect 1000 with a standard deviation of about 28; the bounds are over 7 of them wide.
    assertThat(aborted).isBetween(800, 1200);
    assertThat(h.upstream().attempts()).isEqualTo(n - aborted);
    assertThat(h.metrics().count("aborts_injected")).isEqualTo(aborted);
  }

  @Test
  void aHeaderChoosesALowerShareOnlyWhenAllowed() {
    draw.set(0.4);
    FilterHarness allowed =
        harness(
            Map.of("abort", Map.of("httpStatus", 503, "percentage", 50, "headerPercentage", true)));
    TestRequest zero = TestRequest.get("/").header(FaultFilter.ABORT_PERCENTAGE_HEADER, "0");
    TestRequest all = TestRequest.get("/").header(FaultFilter.ABORT_PERCENTAGE_HEADER, "100");
    TestRequest thirty = TestRequest.get("/").header(FaultFilter.ABORT_PERCENTAGE_HEADER, "30");
    TestRequest junk = TestRequest.get("/").header(FaultFilter.ABORT_PERCENTAGE_HEADER, "lots");
    assertThat(allowed.send(zero).status()).isEqualTo(200);
    assertThat(allowed.send(thirty).status()).isEqualTo(200); // 40 >= 30
    assertThat(allowed.send(all).status()).isEqualTo(503); // capped at 50: 40 < 50
    assertThat(allowed.send(junk).status()).isEqualTo(503); // invalid: the configured 50

    FilterHarness ignored = harness(Map.of("abort", Map.of("httpStatus", 503, "percentage", 50)));
    assertThat(ignored.send(zero).status()).isEqualTo(503);
  }

  @Test
  void delayWaitsOnTheSchedulerThenPassesTheRequestOn() {
    FilterHarness h = harness(Map.of("delay", Map.of("fixed", "200ms")));
    CompletableFuture<TestResponse> pending = h.sendAsync(TestRequest.get("/"));
    assertThat(pending).isNotDone();
    h.advance(Duration.ofMillis(199));
    assertThat(pending).isNotDone();
    assertThat(h.upstream().attempts()).isZero();
    h.advance(Duration.ofMillis(1));
    TestResponse r = h.await(pending);
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.fromUpstream()).isTrue();
    assertThat(r.responseFlags()).contains(ResponseFlag.DELAY_INJECTED);
    assertThat(h.metrics().count("delays_injected")).isEqualTo(1);
  }

  @Test
  void delayThenAbortNeverReachesTheUpstream() {
    FilterHarness h =
        harness(Map.of("delay", Map.of("fixed", "1s"), "abort", Map.of("httpStatus", 502)));
    CompletableFuture<TestResponse> pending = h.sendAsync(TestRequest.get("/"));
    h.advance(Duration.ofSeconds(1));
    TestResponse r = h.await(pending);
    assertThat(r.status()).isEqualTo(502);
    assertThat(r.responseFlags())
        .contains(ResponseFlag.DELAY_INJECTED, ResponseFlag.FAULT_INJECTED);
    assertThat(h.upstream().attempts()).isZero();
  }

  @Test
  void aCancelledDelayNeverPassesTheRequestOnAndFreesItsSlot() {
    FilterHarness h = harness(Map.of("delay", Map.of("fixed", "1s"), "maxActiveFaults", 1));
    CompletableFuture<TestResponse> first = h.sendAsync(TestRequest.get("/"));
    first.cancel(false); // the route timeout or a client that went away
    h.advance(Duration.ofSeconds(2));
    assertThat(h.upstream().attempts()).isZero();
    assertThat(h.time().pendingTasks()).isZero();
    CompletableFuture<TestResponse> second = h.sendAsync(TestRequest.get("/"));
    assertThat(second).isNotDone(); // delayed again: the slot was freed
    h.advance(Duration.ofSeconds(1));
    assertThat(h.await(second).responseFlags()).contains(ResponseFlag.DELAY_INJECTED);
  }

  @Test
  void activeFaultsAreCapped() {
    FilterHarness h = harness(Map.of("delay", Map.of("fixed", "1s"), "maxActiveFaults", 2));
    CompletableFuture<TestResponse> a = h.sendAsync(TestRequest.get("/"));
    CompletableFuture<TestResponse> b = h.sendAsync(TestRequest.get("/"));
    TestResponse c = h.send(TestRequest.get("/")); // over the cap: passes untouched, at once
    assertThat(c.status()).isEqualTo(200);
    assertThat(c.responseFlags()).doesNotContain(ResponseFlag.DELAY_INJECTED);
    assertThat(h.metrics().count("faults_overflow")).isEqualTo(1);
    assertThat(a).isNotDone();
    assertThat(b).isNotDone();
    h.advance(Duration.ofSeconds(1));
    assertThat(h.await(a).status()).isEqualTo(200);
    assertThat(h.await(b).status()).isEqualTo(200);
    CompletableFuture<TestResponse> d = h.sendAsync(TestRequest.get("/"));
    assertThat(d).isNotDone(); // slots freed once the delayed requests completed
    h.advance(Duration.ofSeconds(1));
    assertThat(h.await(d).responseFlags()).contains(ResponseFlag.DELAY_INJECTED);
    assertThat(h.metrics().count("delays_injected")).isEqualTo(3);
  }

  @Test
  void theDelayCanBeChosenByHeaderToo() {
    draw.set(0.7);
    FilterHarness h =
        harness(
            Map.of("delay", Map.of("fixed", "100ms", "percentage", 100, "headerPercentage", true)));
    TestResponse skipped =
        h.send(TestRequest.get("/").header(FaultFilter.DELAY_PERCENTAGE_HEADER, "50"));
    assertThat(skipped.responseFlags()).doesNotContain(ResponseFlag.DELAY_INJECTED);
    CompletableFuture<TestResponse> delayed =
        h.sendAsync(TestRequest.get("/").header(FaultFilter.DELAY_PERCENTAGE_HEADER, "80"));
    assertThat(delayed).isNotDone();
    h.advance(Duration.ofMillis(100));
    assertThat(h.await(delayed).responseFlags()).contains(ResponseFlag.DELAY_INJECTED);
  }
}
