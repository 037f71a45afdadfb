package io.plugmesh.plugins.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.plugmesh.filters.ConfigException;
import io.plugmesh.filters.ConfigNode;
import io.plugmesh.filters.Filter;
import io.plugmesh.filters.advanced.FilterMode;
import io.plugmesh.filters.advanced.Principal;
import io.plugmesh.filters.advanced.ResponseFlag;
import io.plugmesh.filters.testkit.FilterHarness;
import io.plugmesh.filters.testkit.TestFilterServices;
import io.plugmesh.filters.testkit.TestRequest;
import io.plugmesh.filters.testkit.TestResponse;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class RateLimitFilterTest {
  private static final String PLUGIN = RateLimitFilterFactory.NAME;

  private FilterHarness harness;

  @AfterEach
  void close() {
    if (harness != null) {
      harness.close();
    }
  }

  private FilterHarness local(Map<String, ?> config) {
    harness = FilterHarness.builder().add(new RateLimitFilterFactory(), config).build();
    return harness;
  }

  private FilterHarness shadow(Map<String, ?> config) {
    harness =
        FilterHarness.builder()
            .add(new RateLimitFilterFactory(), config, FilterMode.SHADOW)
            .build();
    return harness;
  }

  /** A harness whose filter runs in global mode against a scripted shared store. */
  private FilterHarness global(Map<String, ?> config, GlobalBuckets store) {
    return global(config, store, FilterMode.ENFORCE);
  }

  private FilterHarness global(Map<String, ?> config, GlobalBuckets store, FilterMode mode) {
    RateLimitConfig parsed = RateLimitConfig.parse(ConfigNode.of(config));
    AtomicReference<Filter> filter = new AtomicReference<>();
    harness =
        FilterHarness.builder()
            .add(PLUGIN, (request, chain) -> filter.get().filter(request, chain), mode)
            .build();
    TestFilterServices services = harness.services(PLUGIN);
    LocalBuckets fallback =
        new LocalBuckets(parsed.maxKeys(), parsed.effectiveIdleTimeout(), services::nanoTime);
    filter.set(new RateLimitFilter(parsed, services, fallback, store));
    return harness;
  }

  private List<Integer> statuses(int n, TestRequest request) {
    List<Integer> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(harness.send(request).status());
    }
    return out;
  }

  private long count(String decision, String source) {
    return harness
        .metrics()
        .count(RateLimitMetrics.REQUESTS, "decision", decision, "source", source);
  }

  // --- refill -------------------------------------------------------------------------------

  @Test
  void burstThenGreedyRefillInVirtualTime() {
    local(Map.of("tokens", 2, "per", "1s"));

    assertThat(statuses(3, TestRequest.get("/"))).containsExactly(200, 200, 429);
    harness.advance(Duration.ofMillis(499));
    assertThat(harness.send(TestRequest.get("/")).status()).isEqualTo(429);
    harness.advance(Duration.ofMillis(1)); // 500ms: one token trickled back
    assertThat(statuses(2, TestRequest.get("/"))).containsExactly(200, 429);
    harness.advance(Duration.ofSeconds(5)); // never more than the capacity
    assertThat(statuses(3, TestRequest.get("/"))).containsExactly(200, 200, 429);
    assertThat(harness.upstream().attempts()).isEqualTo(5);
  }

  @Test
  void intervalRefillIsAFixedWindowQuota() {
    local(Map.of("tokens", 3, "per", "1m", "refill", "interval"));

    assertThat(statuses(4, TestRequest.get("/"))).containsExactly(200, 200, 200, 429);
    harness.advance(Duration.ofSeconds(59));
    assertThat(harness.send(TestRequest.get("/")).status()).isEqualTo(429);
    harness.advance(Duration.ofSeconds(1));
    assertThat(statuses(4, TestRequest.get("/"))).containsExactly(200, 200, 200, 429);
  }

  @Test
  void capacityAllowsABurstAboveTheSustainedRate() {
    local(Map.of("tokens", 1, "per", "1s", "capacity", 5));

    assertThat(statuses(6, TestRequest.get("/"))).containsExactly(200, 200, 200, 200, 200, 429);
    harness.advance(Duration.ofSeconds(2));
    assertThat(statuses(3, TestRequest.get("/"))).containsExactly(200, 200, 429);
  }

  @Test
  void severalLimitsPerKeyBothApply() {
    local(
        Map.of(
            "limits",
            List.of(
                Map.of("name", "second", "tokens", 3, "per", "1s"),
                Map.of("name", "day", "tokens", 5, "per", "1d"))));

    assertThat(statuses(4, TestRequest.get("/"))).containsExactly(200, 200, 200, 429);
    harness.advance(Duration.ofSeconds(1));
    assertThat(statuses(3, TestRequest.get("/"))).containsExactly(200, 200, 429);
    harness.advance(Duration.ofSeconds(10));
    TestResponse quotaGone = harness.send(TestRequest.get("/"));
    assertThat(quotaGone.status()).isEqualTo(429);
    // The daily quota, not the per-second limit, decides when to come back.
    assertThat(Long.parseLong(quotaGone.header("retry-after"))).isGreaterThan(3600);
    assertThat(quotaGone.header("ratelimit")).contains("\"second\";r=3;").contains("\"day\";r=0;");
  }

  // --- keys ---------------------------------------------------------------------------------

  @Test
  void routeKeyIsOneBucketForEveryCaller() {
    local(Map.of("tokens", 1, "per", "1h"));
    assertThat(harness.send(TestRequest.get("/a").header("x-api-key", "1")).status())
        .isEqualTo(200);
    assertThat(harness.send(TestRequest.get("/b").header("x-api-key", "2")).status())
        .isEqualTo(429);
  }

  @Test
  void headerKeyGivesEachValueItsOwnBucketAndMissingHeadersShareTheDefault() {
    local(Map.of("tokens", 1, "per", "1h", "key", "header:X-Api-Key"));

    assertThat(harness.send(TestRequest.get("/").header("x-api-key", "a")).status()).isEqualTo(200);
    assertThat(harness.send(TestRequest.get("/").header("x-api-key", "a")).status()).isEqualTo(429);
    assertThat(harness.send(TestRequest.get("/").header("X-API-KEY", " b ")).status())
        .isEqualTo(200);
    assertThat(harness.send(TestRequest.get("/")).status()).isEqualTo(200);
    assertThat(harness.send(TestRequest.get("/").header("x-api-key", "")).status())
        .isEqualTo(429); // empty = absent: the same default bucket
  }

  @Test
  void ipKeyUsesTheClientAddress() {
    local(Map.of("tokens", 1, "per", "1h", "key", "ip"));
    TestRequest one = TestRequest.get("/").clientAddress(new InetSocketAddress("10.0.0.1", 1000));
    TestRequest sameIpOtherPort =
        TestRequest.get("/").clientAddress(new InetSocketAddress("10.0.0.1", 2000));
    TestRequest other = TestRequest.get("/").clientAddress(new InetSocketAddress("10.0.0.2", 1000));

    assertThat(harness.send(one).status()).isEqualTo(200);
    assertThat(harness.send(sameIpOtherPort).status()).isEqualTo(429);
    assertThat(harness.send(other).status()).isEqualTo(200);
  }

  @Test
  void claimKeyReadsThePrincipalAndAnonymousCallersGetTheDefaultLimits() {
    local(
        Map.of(
            "tokens",
            2,
            "per",
            "1h",
            "key",
            "claim:sub",
            "defaultLimits",
            List.of(Map.of("name", "anonymous", "tokens", 1, "per", "1h"))));
    TestRequest alice = TestRequest.get("/").principal(new Principal("alice", "idp", Map.of()));
    TestRequest bob =
        TestRequest.get("/").principal(new Principal("x", "idp", Map.of("sub", "bob")));

    assertThat(statuses(3, alice)).containsExactly(200, 200, 429);
    assertThat(statuses(3, bob)).containsExactly(200, 200, 429);
    TestResponse anon = harness.send(TestRequest.get("/"));
    assertThat(anon.status()).isEqualTo(200);
    assertThat(anon.header("ratelimit-policy")).isEqualTo("\"anonymous\";q=1;w=3600");
    assertThat(harness.send(TestRequest.get("/")).status()).isEqualTo(429);
  }

  @Test
  void combinedKeyNeedsEveryPartToMatch() {
    local(Map.of("tokens", 1, "per", "1h", "key", List.of("ip", "header:x-tenant")));
    InetSocketAddress a = new InetSocketAddress("10.0.0.1", 1);
    InetSocketAddress b = new InetSocketAddress("10.0.0.2", 1);

    assertThat(harness.send(TestRequest.get("/").clientAddress(a).header("x-tenant", "t")).status())
        .isEqualTo(200);
    assertThat(harness.send(TestRequest.get("/").clientAddress(b).header("x-tenant", "t")).status())
        .isEqualTo(200);
    assertThat(harness.send(TestRequest.get("/").clientAddress(a).header("x-tenant", "u")).status())
        .isEqualTo(200);
    assertThat(harness.send(TestRequest.get("/").clientAddress(a).header("x-tenant", "t")).status())
        .isEqualTo(429);
  }

  @Test
  void separatorsInValuesCannotForgeAnotherKey() {
    local(Map.of("tokens", 1, "per", "1h", "key", List.of("header:a", "header:b")));
    assertThat(harness.send(TestRequest.get("/").header("a", "x|header:b=y")).status())
        .isEqualTo(200);
    assertThat(harness.send(TestRequest.get("/").header("a", "x").header("b", "y")).status())
        .isEqualTo(200);
  }

  @Test
  void overrideGivesAPayingCallerMore() {
    local(
        Map.of(
            "tokens",
            1,
            "per",
            "1h",
            "key",
            "claim:client_id",
            "overrides",
            List.of(
                Map.of(
                    "match", Map.of("claim:client_id", "acme"),
                    "limits", List.of(Map.of("name", "gold", "tokens", 3, "per", "1h"))))));
    TestRequest acme =
        TestRequest.get("/").principal(new Principal("s", "", Map.of("client_id", "acme")));
    TestRequest free =
        TestRequest.get("/").principal(new Principal("s", "", Map.of("client_id", "free")));

    assertThat(statuses(4, acme)).containsExactly(200, 200, 200, 429);
    assertThat(statuses(2, free)).containsExactly(200, 429);
    assertThat(harness.send(acme).header("ratelimit-policy")).isEqualTo("\"gold\";q=3;w=3600");
  }

  // --- headers ------------------------------------------------------------------------------

  @Test
  void draftHeadersOnPassAndRejectAndRemainingNeverNegative() {
    local(Map.of("name", "api", "tokens", 2, "per", "10s"));

    TestResponse first = harness.send(TestRequest.get("/"));
    assertThat(first.fromUpstream()).isTrue();
    assertThat(first.header("ratelimit-policy")).isEqualTo("\"api\";q=2;w=10");
    assertThat(first.header("ratelimit")).isEqualTo("\"api\";r=1;t=5");
    assertThat(harness.send(TestRequest.get("/")).header("ratelimit"))
        .isEqualTo("\"api\";r=0;t=10");
    for (int i = 0; i < 5; i++) {
      TestResponse rejected = harness.send(TestRequest.get("/"));
      assertThat(rejected.status()).isEqualTo(429);
      assertThat(rejected.fromUpstream()).isFalse();
      assertThat(rejected.header("ratelimit")).isEqualTo("\"api\";r=0;t=10");
      assertThat(rejected.header("retry-after")).isEqualTo("5");
      assertThat(rejected.responseFlags()).contains(ResponseFlag.RATE_LIMITED);
      assertThat(rejected.bodyText()).isEqualTo("rate limit exceeded\n");
    }
    harness.advance(Duration.ofMillis(4_001));
    assertThat(harness.send(TestRequest.get("/")).header("retry-after")).isEqualTo("1");
  }

  @Test
  void legacyHeadersDescribeTheTightestLimit() {
    local(
        Map.of(
            "headers",
            "legacy",
            "limits",
            List.of(
                Map.of("name", "s", "tokens", 10, "per", "1s"),
                Map.of("name", "m", "tokens", 3, "per", "1m"))));

    TestResponse r = harness.send(TestRequest.get("/"));
    assertThat(r.header("x-ratelimit-limit")).isEqualTo("3");
    assertThat(r.header("x-ratelimit-remaining")).isEqualTo("2");
    assertThat(r.header("x-ratelimit-reset")).isEqualTo("20");
    assertThat(r.header("ratelimit")).isNull();
    harness.send(TestRequest.get("/"));
    harness.send(TestRequest.get("/"));
    TestResponse rejected = harness.send(TestRequest.get("/"));
    assertThat(rejected.status()).isEqualTo(429);
    assertThat(rejected.header("x-ratelimit-remaining")).isEqualTo("0");
  }

  @Test
  void noHeadersButRetryAfterOnRejection() {
    local(Map.of("tokens", 1, "per", "1s", "headers", "none"));
    TestResponse ok = harness.send(TestRequest.get("/"));
    assertThat(ok.headers().names()).noneMatch(n -> n.contains("ratelimit"));
    TestResponse rejected = harness.send(TestRequest.get("/"));
    assertThat(rejected.header("retry-after")).isEqualTo("1");
    assertThat(rejected.headers().names()).noneMatch(n -> n.contains("ratelimit"));
  }

  // --- shadow and metrics -------------------------------------------------------------------

  @Test
  void inShadowModeWouldBeRejectionsAreCountedAsSuchAndGoOnUntouched() {
    shadow(Map.of("tokens", 1, "per", "1h"));

    assertThat(statuses(3, TestRequest.get("/"))).containsExactly(200, 200, 200);
    TestResponse r = harness.send(TestRequest.get("/"));
    assertThat(r.fromUpstream()).isTrue();
    // the proxy saw the would-be 429 and let the request go on
    assertThat(r.decision(PLUGIN)).isEqualTo(TestResponse.Decision.SHADOW);
    assertThat(r.responseFlags()).doesNotContain(ResponseFlag.RATE_LIMITED);
    // a policy on trial tells clients nothing
    assertThat(r.headers().names()).noneMatch(n -> n.contains("ratelimit"));
    assertThat(count("allowed", "local")).isEqualTo(1);
    assertThat(count("shadow_limited", "local")).isEqualTo(3);
    assertThat(count("limited", "local")).isZero();
  }

  @Test
  void theOldShadowFieldIsRejectedByTheSchema() {
    assertThatThrownBy(() -> local(Map.of("tokens", 1, "per", "1h", "shadow", true)))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e -> {
              assertThat(e.field()).isEqualTo("shadow");
              assertThat(e.problem()).contains("not defined in the schema");
            });
  }

  @Test
  void countsAllowedAndLimited() {
    local(Map.of("tokens", 2, "per", "1h"));
    statuses(5, TestRequest.get("/"));
    assertThat(count("allowed", "local")).isEqualTo(2);
    assertThat(count("limited", "local")).isEqualTo(3);
  }

  // --- key bounds ---------------------------------------------------------------------------

  @Test
  void keysAreBoundedAndIdleOnesForgotten() {
    LocalBuckets buckets =
        new LocalBuckets(
            3, Duration.ofSeconds(10), new java.util.concurrent.atomic.AtomicLong()::get);
    LimitSet limits =
        new LimitSet(List.of(new Limit("l", 1, Duration.ofHours(1), 1, Limit.Refill.GREEDY)));
    for (int i = 0; i < 100; i++) {
      buckets.tryConsume("k" + i, limits);
    }
    assertThat(buckets.size()).isLessThanOrEqualTo(3);

    local(Map.of("tokens", 1, "per", "1h", "key", "header:k", "idleTimeout", "10s"));
    assertThat(harness.send(TestRequest.get("/").header("k", "a")).status()).isEqualTo(200);
    assertThat(harness.send(TestRequest.get("/").header("k", "a")).status()).isEqualTo(429);
    harness.advance(Duration.ofSeconds(11));
    // Forgotten after 10s idle (shorter than its refill, as configured): a fresh bucket.
    assertThat(harness.send(TestRequest.get("/").header("k", "a")).status()).isEqualTo(200);
  }

  @Test
  void concurrentRequestsNeverTakeMoreThanTheBurst() throws Exception {
    LocalBuckets buckets = new LocalBuckets(100, Duration.ofHours(1), System::nanoTime);
    LimitSet limits =
        new LimitSet(List.of(new Limit("b", 1, Duration.ofHours(1), 37, Limit.Refill.GREEDY)));
    int threads = 50;
    int perThread = 20;
    java.util.concurrent.atomic.AtomicInteger allowed =
        new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.CountDownLatch start = new java.util.concurrent.CountDownLatch(1);
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      Thread w =
          new Thread(
              () -> {
                try {
                  start.await();
                } catch (InterruptedException e) {
                  return;
                }
                for (int i = 0; i < perThread; i++) {
                  if (buckets.tryConsume("hot", limits).allowed()) {
                    allowed.incrementAndGet();
                  }
                }
              });
      w.start();
      workers.add(w);
    }
    start.countDown();
    for (Thread w : workers) {
      w.join(10_000);
    }
    assertThat(allowed.get()).isEqualTo(37);
  }

  // --- global mode: failure policy ----------------------------------------------------------

  private static final Map<String, Object> GLOBAL_OPEN =
      Map.of(
          "mode",
          "global",
          "tokens",
          10,
          "per",
          "1h",
          "redis",
          Map.of(
              "uri",
              "redis://127.0.0.1:1",
              "fallbackLimits",
              List.of(Map.of("name", "fallback", "tokens", 2, "per", "1h"))));

  /** A shared store that never answers. */
  private static final class HangingStore implements GlobalBuckets {
    final List<CompletableFuture<Outcome>> calls = new ArrayList<>();

    @Override
    public CompletableFuture<Outcome> tryConsume(String key, LimitSet limits) {
      CompletableFuture<Outcome> f = new CompletableFuture<>();
      calls.add(f);
      return f;
    }
  }

  @Test
  void slowRedisTimesOutAfterTheBudgetAndFailsOpenToTheFallbackLimit() {
    HangingStore store = new HangingStore();
    global(GLOBAL_OPEN, store);

    CompletableFuture<TestResponse> pending = harness.sendAsync(TestRequest.get("/"));
    harness.advance(Duration.ofMillis(49));
    assertThat(pending).isNotDone();
    harness.advance(Duration.ofMillis(1));
    TestResponse r = harness.await(pending);
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.header("ratelimit-policy")).isEqualTo("\"fallback\";q=2;w=3600");
    assertThat(harness.metrics().count(RateLimitMetrics.BACKEND_ERRORS, "reason", "timeout"))
        .isEqualTo(1);

    List<Integer> more = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      CompletableFuture<TestResponse> p = harness.sendAsync(TestRequest.get("/"));
      harness.advance(Duration.ofMillis(50));
      more.add(harness.await(p).status());
    }
    assertThat(more).containsExactly(200, 429);
    assertThat(count("allowed", "fallback")).isEqualTo(2);
    assertThat(count("limited", "fallback")).isEqualTo(1);
    assertThat(harness.metrics().count(RateLimitMetrics.BACKEND_ERRORS, "reason", "timeout"))
        .isEqualTo(3);
    // A late answer after the timeout changes nothing.
    store.calls.get(0).complete(null);
  }

  @Test
  void redisErrorsFailOpenAtOnceAndRedisAnswersAgainWhenBack() {
    LimitSet redisLimits = RateLimitConfig.parse(ConfigNode.of(GLOBAL_OPEN)).limits();
    AtomicReference<Boolean> up = new AtomicReference<>(false);
    GlobalBuckets store =
        (key, limits) ->
            up.get()
                ? CompletableFuture.completedFuture(
                    new Outcome(true, limits, List.of(9L), List.of(360_000_000_000L), 0))
                : CompletableFuture.failedFuture(new BackendUnavailableException("down"));
    global(GLOBAL_OPEN, store);

    assertThat(harness.send(TestRequest.get("/")).status()).isEqualTo(200);
    assertThat(harness.metrics().count(RateLimitMetrics.BACKEND_ERRORS, "reason", "error"))
        .isEqualTo(1);
    up.set(true);
    TestResponse back = harness.send(TestRequest.get("/"));
    assertThat(back.header("ratelimit")).isEqualTo("\"10-per-1h\";r=9;t=360");
    assertThat(count("allowed", "redis")).isEqualTo(1);
    assertThat(count("allowed", "fallback")).isEqualTo(1);
    assertThat(redisLimits.limits()).hasSize(1);
  }

  @Test
  void failClosedAnswers503WithoutCallingTheUpstream() {
    Map<String, Object> closed =
        Map.of(
            "mode",
            "global",
            "tokens",
            10,
            "per",
            "1h",
            "redis",
            Map.of("uri", "redis://127.0.0.1:1", "failurePolicy", "closed"));
    global(closed, (key, limits) -> CompletableFuture.failedFuture(new IllegalStateException("x")));

    TestResponse r = harness.send(TestRequest.get("/"));
    assertThat(r.status()).isEqualTo(503);
    assertThat(r.header("retry-after")).isEqualTo("1");
    assertThat(harness.upstream().attempts()).isZero();
    assertThat(count("rejected_unavailable", "policy")).isEqualTo(1);
  }

  @Test
  void failClosedInShadowModeCountsAndLetsTheRequestGoOn() {
    Map<String, Object> closed =
        Map.of(
            "mode",
            "global",
            "tokens",
            10,
            "per",
            "1h",
            "redis",
            Map.of("uri", "redis://127.0.0.1:1", "failurePolicy", "closed"));
    global(
        closed,
        (key, limits) -> CompletableFuture.failedFuture(new IllegalStateException("x")),
        FilterMode.SHADOW);

    TestResponse r = harness.send(TestRequest.get("/"));
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.decision(PLUGIN)).isEqualTo(TestResponse.Decision.SHADOW);
    assertThat(r.responseFlags()).doesNotContain(ResponseFlag.LOCAL_RESPONSE);
    assertThat(harness.upstream().attempts()).isEqualTo(1);
    assertThat(count("shadow_limited", "policy")).isEqualTo(1);
    assertThat(count("rejected_unavailable", "policy")).isZero();
  }
}
