package io.plugmesh.plugins.ratelimit;

import static io.plugmesh.plugins.ratelimit.TestSupport.metric;
import static org.assertj.core.api.Assertions.assertThat;

import io.plugmesh.kernel.testing.KernelFixture;
import io.plugmesh.kernel.testing.TestUpstream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Global mode against a real redis-server with the real plugin jar: outages (stopped and frozen
 * server) under both failure policies, the added latency, and recovery by itself.
 */
class RateLimitOutageIT {

  /**
   * A request that waits for Redis is answered at most this much later than one that does not;
   * generous against a loaded machine, far below a hang (the client's command timeout is 1s and a
   * TCP connect timeout much longer). The plugin's own budget is the 50ms timeout.
   */
  static final Duration LATENCY_BOUND = Duration.ofMillis(750);

  @TempDir static Path temp;
  static RedisServerProcess redis;
  static TestUpstream upstream;
  static KernelFixture a;

  static String yaml(String redisUri) {
    return """
        listeners:
          - {name: main, address: 127.0.0.1:0}
        clusters:
          - {name: u, endpoints: [{address: %1$s}]}
        routes:
          - name: shared
            match: {pathPrefix: /shared}
            cluster: u
            plugins:
              - name: ratelimit
                config:
                  mode: global
                  limits: [{name: shared, tokens: 1, per: 1h, capacity: 30}]
                  redis: {uri: "%2$s", timeout: 1s}
              - {name: thread-recorder}
          - name: open
            match: {pathPrefix: /open}
            cluster: u
            plugins:
              - name: ratelimit
                config:
                  mode: global
                  key: header:x-caller
                  limits: [{name: main, tokens: 1000, per: 1h}]
                  redis:
                    uri: "%2$s"
                    fallbackLimits: [{name: fallback, tokens: 3, per: 1h}]
          - name: strict
            match: {pathPrefix: /strict}
            cluster: u
            plugins:
              - name: ratelimit
                config:
                  mode: global
                  limits: [{name: main, tokens: 1000, per: 1h}]
                  redis: {uri: "%2$s", failurePolicy: closed}
        """
        .formatted(upstream.address(), redisUri);
  }

  @BeforeAll
  static void start() throws Exception {
    redis = RedisServerProcess.start();
    upstream = TestUpstream.http1("u");
    Path plugins = TestSupport.pluginFolder(temp);
    a =
        KernelFixture.startWithPlugins(
            yaml(redis.uri()), plugins, new TestSupport.ThreadRecorderFactory());
    // Wait until both proxies reached Redis (the first connection is made in the background).
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> a.get("main", "/strict/echo").statusCode() == 200);
  }

  @AfterAll
  static void stop() throws Exception {
    if (a != null) {
      a.close();
    }
    if (upstream != null) {
      upstream.close();
    }
    if (redis != null) {
      redis.close();
    }
  }

  /** Sends one request and returns its status and how long it took. */
  private static long[] timed(KernelFixture proxy, String path, String caller) throws Exception {
    long start = System.nanoTime();
    int status = proxy.get("main", path, "x-caller", caller).statusCode();
    return new long[] {status, System.nanoTime() - start};
  }

  private static String policy(KernelFixture proxy, String caller) throws Exception {
    return proxy
        .get("main", "/open/echo", "x-caller", caller)
        .headers()
        .firstValue("ratelimit-policy")
        .orElse("");
  }

  @Test
  void outagesFollowThePolicyWithinTheBudgetAndRecoverByThemselves() throws Exception {
    // Baseline with Redis up.
    List<Long> baseline = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      long[] r = timed(a, "/open/echo", "warm");
      assertThat(r[0]).isEqualTo(200);
      if (i >= 20) {
        baseline.add(r[1]); // after warming up
      }
    }
    assertThat(policy(a, "warm")).startsWith("\"main\"");

    // 1. Redis stopped: the connection drops, commands fail at once, fail-open uses the fallback.
    redis.stop();
    List<Long> stopped = new ArrayList<>();
    List<Long> statuses = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      long[] r = timed(a, "/open/echo", "caller-1");
      statuses.add(r[0]);
      stopped.add(r[1]);
    }
    assertThat(statuses).containsExactly(200L, 200L, 200L, 429L, 429L);
    assertThat(policy(a, "caller-2")).startsWith("\"fallback\"");
    assertThat(a.get("main", "/strict/echo").statusCode()).isEqualTo(503);
    assertThat(
            metric(
                a,
                "mesh_plugin_ratelimit_requests_total",
                "route",
                "strict",
                "decision",
                "rejected_unavailable"))
        .isGreaterThanOrEqualTo(1);
    assertThat(metric(a, "mesh_plugin_ratelimit_backend_errors_total", "route", "open"))
        .isGreaterThanOrEqualTo(6);

    // 2. Redis back on the same port: the proxy reconnects by itself.
    redis.restart();
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(100))
        .until(() -> policy(a, "recovery").startsWith("\"main\""));
    assertThat(a.get("main", "/strict/echo").statusCode()).isEqualTo(200);

    // 3. Redis frozen (connected, silent): each request waits the 50ms budget, then the policy.
    redis.pause();
    List<Long> frozen = new ArrayList<>();
    List<Long> frozenStatuses = new ArrayList<>();
    double timeoutsBefore =
        metric(
            a, "mesh_plugin_ratelimit_backend_errors_total", "route", "open", "reason", "timeout");
    try {
      for (int i = 0; i < 5; i++) {
        long[] r = timed(a, "/open/echo", "caller-3");
        frozenStatuses.add(r[0]);
        frozen.add(r[1]);
      }
      assertThat(a.get("main", "/strict/echo").statusCode()).isEqualTo(503);
    } finally {
      redis.resume();
    }
    assertThat(frozenStatuses).containsExactly(200L, 200L, 200L, 429L, 429L);
    assertThat(
            metric(
                a,
                "mesh_plugin_ratelimit_backend_errors_total",
                "route",
                "open",
                "reason",
                "timeout"))
        .isGreaterThanOrEqualTo(timeoutsBefore + 5);
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(100))
        .until(() -> policy(a, "recovery-2").startsWith("\"main\""));

    long base = median(baseline);
    System.out.printf(
        "latency ms: baseline median %.1f; Redis stopped median %.1f max %.1f (added %.1f);"
            + " Redis frozen median %.1f max %.1f (added %.1f)%n",
        ms(base),
        ms(median(stopped)),
        ms(max(stopped)),
        ms(median(stopped) - base),
        ms(median(frozen)),
        ms(max(frozen)),
        ms(median(frozen) - base));
    assertThat(max(stopped) - base).isLessThan(LATENCY_BOUND.toNanos());
    assertThat(max(frozen) - base).isLessThan(LATENCY_BOUND.toNanos());
  }

  private static long median(List<Long> values) {
    List<Long> sorted = values.stream().sorted().toList();
    return sorted.get(sorted.size() / 2);
  }

  private static long max(List<Long> values) {
    return values.stream().mapToLong(Long::longValue).max().orElseThrow();
  }

  private static double ms(long nanos) {
    return nanos / 1e6;
  }
}
