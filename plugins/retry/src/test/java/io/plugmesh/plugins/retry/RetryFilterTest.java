package io.plugmesh.plugins.retry;

import static io.plugmesh.filters.testkit.UpstreamOutcome.fail;
import static io.plugmesh.filters.testkit.UpstreamOutcome.hang;
import static io.plugmesh.filters.testkit.UpstreamOutcome.respond;
import static org.assertj.core.api.Assertions.assertThat;

import io.plugmesh.filters.advanced.ResponseFlag;
import io.plugmesh.filters.advanced.UpstreamException;
import io.plugmesh.filters.advanced.UpstreamException.Kind;
import io.plugmesh.filters.testkit.FakeUpstream;
import io.plugmesh.filters.testkit.FilterHarness;
import io.plugmesh.filters.testkit.TestRequest;
import io.plugmesh.filters.testkit.TestResponse;
import io.plugmesh.filters.testkit.UpstreamRequest;
import io.plugmesh.filters.testkit.VirtualTime;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class RetryFilterTest {
  /** The next jitter draw in [0, 1); 0 retries at once. */
  private final AtomicReference<Double> draw = new AtomicReference<>(0.0);

  /** Retries counted under every reason. */
  private static long retries(FilterHarness h) {
    long sum = 0;
    for (String reason :
        List.of(
            "status_4xx", "status_5xx", "connect_failure", "reset", "refused_stream", "timeout")) {
      sum += h.metrics().count("retries", "reason", reason);
    }
    return sum;
  }

  private FilterHarness harness(Map<String, ?> config, FakeUpstream upstream) {
    return FilterHarness.builder()
        .add(new RetryFilterFactory(draw::get), config)
        .upstream(upstream)
        .build();
  }

  @Test
  void getIsRetriedToSuccess() {
    FilterHarness h = harness(Map.of(), FakeUpstream.script(respond(503), respond(200, "ok")));
    TestResponse r = h.send(TestRequest.get("/reviews"));
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.bodyText()).isEqualTo("ok");
    assertThat(h.upstream().attempts()).isEqualTo(2);
    assertThat(retries(h)).isEqualTo(1);
    assertThat(h.metrics().count("retries", "reason", "status_5xx")).isEqualTo(1);
    assertThat(h.metrics().count("retry_successes")).isEqualTo(1);
    assertThat(r.responseFlags()).doesNotContain(ResponseFlag.UPSTREAM_RETRY_LIMIT_EXCEEDED);
  }

  @Test
  void postIsNotRetriedByDefaultButMayBeConfigured() {
    FilterHarness h = harness(Map.of(), FakeUpstream.script(respond(503), respond(200)));
    assertThat(h.send(TestRequest.post("/orders", "{}")).status()).isEqualTo(503);
    assertThat(h.upstream().attempts()).isEqualTo(1);

    FilterHarness reset = harness(Map.of(), FakeUpstream.script(fail(Kind.RESET), respond(200)));
    TestResponse r = reset.send(TestRequest.post("/orders", "{}"));
    assertThat(r.status()).isEqualTo(503);
    assertThat(r.failure()).get().isInstanceOf(UpstreamException.class);
    assertThat(reset.upstream().attempts()).isEqualTo(1);

    FilterHarness allowed =
        harness(
            Map.of("methods", List.of("POST")), FakeUpstream.script(respond(503), respond(200)));
    assertThat(allowed.send(TestRequest.post("/orders", "{\"n\":1}")).status()).isEqualTo(200);
    assertThat(allowed.upstream().requests())
        .extracting(UpstreamRequest::bodyText)
        .containsExactly("{\"n\":1}", "{\"n\":1}");
  }

  @Test
  void aRequestTheUpstreamNeverSawIsRetriedWhateverItsMethod() {
    for (Kind kind : List.of(Kind.CONNECT_FAILURE, Kind.REFUSED_STREAM)) {
      FilterHarness h =
          harness(
              Map.of("attempts", 3),
              FakeUpstream.script(fail(kind), fail(kind), respond(200, "ok")));
      TestResponse r = h.send(TestRequest.post("/orders", "{\"n\":1}"));
      assertThat(r.status()).as(kind.name()).isEqualTo(200);
      assertThat(h.upstream().requests())
          .extracting(UpstreamRequest::bodyText)
          .containsExactly("{\"n\":1}", "{\"n\":1}", "{\"n\":1}");
    }

    // Only after nothing was sent: a POST that failed after a connect failure and then a reset
    // (the upstream may have acted on it) stops at the reset.
    FilterHarness mixed =
        harness(
            Map.of("attempts", 3),
            FakeUpstream.script(fail(Kind.CONNECT_FAILURE), fail(Kind.RESET), respond(200)));
    assertThat(mixed.send(TestRequest.post("/orders", "{}")).status()).isEqualTo(503);
    assertThat(mixed.upstream().attempts()).isEqualTo(2);

    // A connect failure is still retried only when retryOn asks for it.
    FilterHarness statuses =
        harness(
            Map.of("retryOn", List.of("retriable-4xx")),
            FakeUpstream.script(fail(Kind.CONNECT_FAILURE), respond(200)));
    assertThat(statuses.send(TestRequest.post("/orders", "{}")).status()).isEqualTo(503);
    assertThat(statuses.upstream().attempts()).isEqualTo(1);
  }

  @Test
  void exhaustedAttemptsReturnTheLastResponseFlaggedUrx() {
    FilterHarness h = harness(Map.of("attempts", 3), FakeUpstream.respond(503, "down"));
    TestResponse r = h.send(TestRequest.get("/"));
    assertThat(r.status()).isEqualTo(503);
    assertThat(r.bodyText()).isEqualTo("down");
    assertThat(r.fromUpstream()).isTrue();
    assertThat(r.responseFlags()).contains(ResponseFlag.UPSTREAM_RETRY_LIMIT_EXCEEDED);
    assertThat(h.upstream().attempts()).isEqualTo(3);
    assertThat(retries(h)).isEqualTo(2);
    assertThat(h.metrics().count("retries_exhausted")).isEqualTo(1);
    assertThat(h.metrics().count("retry_successes")).isZero();
  }

  @Test
  void upstreamFailuresAreRetriedByKind() {
    FilterHarness h =
        harness(
            Map.of("attempts", 4),
            FakeUpstream.script(
                fail(Kind.CONNECT_FAILURE),
                fail(Kind.RESET),
                fail(Kind.REFUSED_STREAM),
                respond(200)));
    assertThat(h.send(TestRequest.get("/")).status()).isEqualTo(200);
    assertThat(h.upstream().attempts()).isEqualTo(4);
    assertThat(h.metrics().count("retries", "reason", "connect_failure")).isEqualTo(1);
    assertThat(h.metrics().count("retries", "reason", "reset")).isEqualTo(1);
    assertThat(h.metrics().count("retries", "reason", "refused_stream")).isEqualTo(1);

    FilterHarness overflow =
        harness(
            Map.of("retryOn", List.of("5xx")),
            FakeUpstream.script(fail(Kind.OVERFLOW), respond(200)));
    TestResponse r = overflow.send(TestRequest.get("/"));
    assertThat(r.status()).isEqualTo(503);
    assertThat(r.responseFlags()).contains(ResponseFlag.UPSTREAM_OVERFLOW);
    assertThat(overflow.upstream().attempts()).isEqualTo(1);

    FilterHarness connectOnly =
        harness(
            Map.of("retryOn", List.of("connect-failure")),
            FakeUpstream.script(fail(Kind.RESET), respond(200)));
    TestResponse exhausted = connectOnly.send(TestRequest.get("/"));
    assertThat(exhausted.status()).isEqualTo(503);
    assertThat(exhausted.responseFlags())
        .contains(ResponseFlag.UPSTREAM_REMOTE_RESET)
        .doesNotContain(ResponseFlag.UPSTREAM_RETRY_LIMIT_EXCEEDED);
  }

  @Test
  void statusConditionsSelectWhatIsRetried() {
    assertThat(attemptsFor(Map.of(), 500)).isEqualTo(1); // default: gateway-error only
    assertThat(attemptsFor(Map.of(), 502)).isEqualTo(2);
    assertThat(attemptsFor(Map.of(), 504)).isEqualTo(2);
    assertThat(attemptsFor(Map.of("retryOn", List.of("5xx")), 500)).isEqualTo(2);
    assertThat(attemptsFor(Map.of("retryOn", List.of("5xx")), 409)).isEqualTo(1);
    assertThat(attemptsFor(Map.of("retryOn", List.of("retriable-4xx")), 409)).isEqualTo(2);
    assertThat(attemptsFor(Map.of("retryOn", List.of("retriable-4xx")), 404)).isEqualTo(1);
    Map<String, Object> codes =
        Map.of("retryOn", List.of("retriable-status-codes"), "retriableStatusCodes", List.of(429));
    assertThat(attemptsFor(codes, 429)).isEqualTo(2);
    assertThat(attemptsFor(codes, 503)).isEqualTo(1);
  }

  private int attemptsFor(Map<String, ?> config, int status) {
    FilterHarness h = harness(config, FakeUpstream.script(respond(status)).otherwise(respond(200)));
    h.send(TestRequest.get("/"));
    return h.upstream().attempts();
  }

  @Test
  void perTryTimeoutCancelsTheAttemptAndRetries() {
    FilterHarness h =
        harness(Map.of("perTryTimeout", "300ms"), FakeUpstream.script(hang(), respond(200, "ok")));
    CompletableFuture<TestResponse> pending = h.sendAsync(TestRequest.get("/"));
    h.advance(Duration.ofMillis(299));
    assertThat(pending).isNotDone();
    assertThat(h.upstream().attempts()).isEqualTo(1);
    h.advance(Duration.ofMillis(1));
    TestResponse r = h.await(pending);
    assertThat(r.status()).isEqualTo(200);
    assertThat(h.upstream().attempts()).isEqualTo(2);
    assertThat(h.upstream().cancelledAttempts()).isEqualTo(1);
    assertThat(h.metrics().count("per_try_timeouts")).isEqualTo(1);
    assertThat(h.metrics().count("retries", "reason", "timeout")).isEqualTo(1);
  }

  @Test
  void perTryTimeoutsToTheEndAnswer504() {
    FilterHarness h =
        harness(Map.of("perTryTimeout", "100ms", "attempts", 3), FakeUpstream.always(hang()));
    CompletableFuture<TestResponse> pending = h.sendAsync(TestRequest.get("/"));
    h.advance(Duration.ofMillis(100));
    h.advance(Duration.ofMillis(100));
    assertThat(pending).isNotDone();
    h.advance(Duration.ofMillis(100));
    TestResponse r = h.await(pending);
    assertThat(r.status()).isEqualTo(504);
    assertThat(r.responseFlags())
        .contains(
            ResponseFlag.UPSTREAM_REQUEST_TIMEOUT, ResponseFlag.UPSTREAM_RETRY_LIMIT_EXCEEDED);
    assertThat(h.upstream().attempts()).isEqualTo(3);
    assertThat(h.upstream().cancelledAttempts()).isEqualTo(3);
  }

  @Test
  void perTryTimeoutAppliesToMethodsThatAreNotRetried() {
    FilterHarness h = harness(Map.of("perTryTimeout", "100ms"), FakeUpstream.always(hang()));
    CompletableFuture<TestResponse> pending = h.sendAsync(TestRequest.post("/", "x"));
    h.advance(Duration.ofMillis(100));
    TestResponse r = h.await(pending);
    assertThat(r.status()).isEqualTo(504);
    assertThat(r.responseFlags()).doesNotContain(ResponseFlag.UPSTREAM_RETRY_LIMIT_EXCEEDED);
    assertThat(h.upstream().attempts()).isEqualTo(1);
  }

  @Test
  void backoffIsExponentialWithJitterUpToTheMax() {
    draw.set(0.5);
    FilterHarness h =
        harness(
            Map.of("attempts", 5, "backoff", Map.of("base", "100ms", "max", "300ms")),
            FakeUpstream.respond(503));
    CompletableFuture<TestResponse> pending = h.sendAsync(TestRequest.get("/"));
    // Waits: 0.5 x 100ms, 0.5 x 200ms, 0.5 x 300ms (capped), 0.5 x 300ms.
    long[] waits = {50, 100, 150, 150};
    for (int i = 0; i < waits.length; i++) {
      assertThat(h.upstream().attempts()).isEqualTo(i + 1);
      h.advance(Duration.ofMillis(waits[i] - 1));
      assertThat(h.upstream().attempts()).as("before wait %d", i).isEqualTo(i + 1);
      h.advance(Duration.ofMillis(1));
    }
    assertThat(h.await(pending).status()).isEqualTo(503);
    assertThat(h.upstream().attempts()).isEqualTo(5);
  }

  @Test
  void retryAfterIsHonouredUpToTheCap() {
    draw.set(0.9);
    FilterHarness h =
        harness(
            Map.of("maxRetryAfter", "5s"),
            FakeUpstream.script(respond(503).header("retry-after", "2"), respond(200)));
    CompletableFuture<TestResponse> pending = h.sendAsync(TestRequest.get("/"));
    h.advance(Duration.ofMillis(1999));
    assertThat(h.upstream().attempts()).isEqualTo(1);
    h.advance(Duration.ofMillis(1));
    assertThat(h.await(pending).status()).isEqualTo(200);

    String inThreeSeconds =
        DateTimeFormatter.RFC_1123_DATE_TIME.format(
            VirtualTime.DEFAULT_START.plusSeconds(3).atZone(ZoneOffset.UTC));
    FilterHarness dated =
        harness(
            Map.of(
                "retryOn", List.of("retriable-status-codes"), "retriableStatusCodes", List.of(429)),
            FakeUpstream.script(respond(429).header("retry-after", inThreeSeconds), respond(200)));
    CompletableFuture<TestResponse> datedPending = dated.sendAsync(TestRequest.get("/"));
    dated.advance(Duration.ofMillis(2999));
    assertThat(dated.upstream().attempts()).isEqualTo(1);
    dated.advance(Duration.ofMillis(1));
    assertThat(dated.await(datedPending).status()).isEqualTo(200);

    FilterHarness tooLong =
        harness(
            Map.of("maxRetryAfter", "5s"),
            FakeUpstream.script(respond(503).header("retry-after", "30"), respond(200)));
    TestResponse r = tooLong.send(TestRequest.get("/"));
    assertThat(r.status()).isEqualTo(503);
    assertThat(r.header("retry-after")).isEqualTo("30");
    assertThat(tooLong.upstream().attempts()).isEqualTo(1);
    assertThat(tooLong.metrics().count("retries_skipped_retry_after")).isEqualTo(1);
  }

  @Test
  void theBudgetCapsRetriesUnderATotalOutage() {
    FilterHarness h =
        harness(
            Map.of("attempts", 3, "budget", Map.of("percent", 10, "minRetries", 2)),
            FakeUpstream.respond(503));
    int requests = 50;
    for (int i = 0; i < requests; i++) {
      assertThat(h.send(TestRequest.get("/")).status()).isEqualTo(503);
    }
    // Without a budget: 150 attempts. With it: 50 + at most 2 + 10% of 50 = 57.
    assertThat(h.upstream().attempts()).isBetween(requests + 2, requests + 7);
    assertThat(retries(h)).isEqualTo(h.upstream().attempts() - requests);
    assertThat(h.metrics().count("retries_budget_exhausted")).isGreaterThan(40);
  }

  @Test
  void theBudgetRefillsAsTheWindowSlides() {
    FilterHarness h =
        harness(
            Map.of("budget", Map.of("percent", 0, "minRetries", 1, "window", "10s")),
            FakeUpstream.respond(503));
    h.send(TestRequest.get("/"));
    h.send(TestRequest.get("/"));
    assertThat(h.upstream().attempts()).isEqualTo(3); // one retry, then none
    h.advance(Duration.ofSeconds(11));
    h.send(TestRequest.get("/"));
    assertThat(h.upstream().attempts()).isEqualTo(5); // the window moved on: one more retry
  }

  @Test
  void bodiesUpToTheLimitAreReplayed() {
    FilterHarness h =
        harness(
            Map.of("methods", List.of("PUT"), "maxReplayBytes", 5),
            FakeUpstream.script(respond(503), respond(200)));
    assertThat(h.send(TestRequest.put("/", "12345")).status()).isEqualTo(200);
    assertThat(h.upstream().requests())
        .extracting(UpstreamRequest::bodyText)
        .containsExactly("12345", "12345");
  }

  @Test
  void aRetryOverTheReplayLimitIsSkippedCountedAndVisible() {
    FilterHarness h =
        harness(Map.of("maxReplayBytes", 5), FakeUpstream.script(respond(503), respond(200)));
    TestResponse r = h.send(TestRequest.put("/", "123456"));
    assertThat(r.status()).isEqualTo(503);
    assertThat(r.header(RetryFilter.SKIPPED_HEADER)).isEqualTo("body-too-large");
    assertThat(r.responseFlags()).contains(ResponseFlag.RETRY_SKIPPED_BODY_TOO_LARGE);
    assertThat(h.upstream().attempts()).isEqualTo(1);
    assertThat(h.upstream().lastRequest().bodyText()).isEqualTo("123456");
    assertThat(h.metrics().count("retries_skipped_body_too_large")).isEqualTo(1);

    FilterHarness reset =
        harness(Map.of("maxReplayBytes", 5), FakeUpstream.script(fail(Kind.RESET), respond(200)));
    TestResponse local = reset.send(TestRequest.put("/", "123456"));
    assertThat(local.status()).isEqualTo(503);
    assertThat(local.header(RetryFilter.SKIPPED_HEADER)).isEqualTo("body-too-large");
    assertThat(local.responseFlags())
        .contains(ResponseFlag.RETRY_SKIPPED_BODY_TOO_LARGE, ResponseFlag.UPSTREAM_REMOTE_RESET);
    assertThat(reset.upstream().attempts()).isEqualTo(1);

    // A body too large that needs no retry is neither flagged nor counted.
    FilterHarness fine = harness(Map.of("maxReplayBytes", 5), FakeUpstream.respond(200));
    TestResponse ok = fine.send(TestRequest.put("/", "123456"));
    assertThat(ok.header(RetryFilter.SKIPPED_HEADER)).isNull();
    assertThat(fine.metrics().count("retries_skipped_body_too_large")).isZero();
  }

  @Test
  void cancellingStopsAttemptsAndTimers() {
    draw.set(0.99);
    FilterHarness h =
        harness(
            Map.of("attempts", 3, "perTryTimeout", "1s", "backoff", Map.of("base", "1s")),
            FakeUpstream.always(respond(503)));
    CompletableFuture<TestResponse> inBackoff = h.sendAsync(TestRequest.get("/"));
    assertThat(h.upstream().attempts()).isEqualTo(1);
    inBackoff.cancel(false); // the route timeout fired, or the client left
    h.advance(Duration.ofSeconds(30));
    assertThat(h.upstream().attempts()).isEqualTo(1);

    FilterHarness hanging =
        harness(Map.of("attempts", 3, "perTryTimeout", "1s"), FakeUpstream.always(hang()));
    CompletableFuture<TestResponse> inFlight = hanging.sendAsync(TestRequest.get("/"));
    inFlight.cancel(false);
    hanging.advance(Duration.ofSeconds(30));
    assertThat(hanging.upstream().attempts()).isEqualTo(1);
    assertThat(hanging.upstream().cancelledAttempts()).isEqualTo(1);
  }
}
