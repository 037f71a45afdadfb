package io.plugmesh.plugins.ratelimit;

import static io.plugmesh.plugins.ratelimit.TestSupport.concurrently;
import static io.plugmesh.plugins.ratelimit.TestSupport.countStatus;
import static io.plugmesh.plugins.ratelimit.TestSupport.metric;
import static org.assertj.core.api.Assertions.assertThat;

import io.plugmesh.kernel.testing.KernelFixture;
import io.plugmesh.kernel.testing.TestUpstream;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Global mode against a real redis-server: two kernels (two proxies, two Redis connections) share
 * one limit. The outage tests are in {@link RateLimitOutageIT}.
 */
class RateLimitRedisIT {

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
  static KernelFixture b;

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
    a =
        KernelFixture.start(
            yaml(redis.uri()),
            new RateLimitFilterFactory(),
            new TestSupport.ThreadRecorderFactory());
    b =
        KernelFixture.start(
            yaml(redis.uri()),
            new RateLimitFilterFactory(),
            new TestSupport.ThreadRecorderFactory());
    // Wait until both proxies reached Redis (the first connection is made in the background).
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                a.get("main", "/strict/echo").statusCode() == 200
                    && b.get("main", "/strict/echo").statusCode() == 200);
  }

  @AfterAll
  static void stop() throws Exception {
    if (a != null) {
      a.close();
    }
    if (b != null) {
      b.close();
    }
    if (upstream != null) {
      upstream.close();
    }
    if (redis != null) {
      redis.close();
    }
  }

  @Test
  void twoProxiesTogetherAdmitTheLimitNotTwiceIt() throws Exception {
    List<HttpResponse<String>> responses = concurrently(List.of(a, b), "/shared/echo", 80);

    long admittedByA = 0;
    for (int i = 0; i < responses.size(); i += 2) {
      admittedByA += responses.get(i).statusCode() == 200 ? 1 : 0;
    }
    System.out.printf(
        "shared Redis limit 30: admitted %d of 80 (proxy a %d, proxy b %d)%n",
        countStatus(responses, 200), admittedByA, countStatus(responses, 200) - admittedByA);
    assertThat(countStatus(responses, 200)).isEqualTo(30);
    assertThat(countStatus(responses, 429)).isEqualTo(50);
    for (KernelFixture proxy : List.of(a, b)) {
      assertThat(metric(proxy, "mesh_plugin_ratelimit_backend_errors_total", "route", "shared"))
          .isZero();
      assertThat(
              metric(
                  proxy,
                  "mesh_plugin_ratelimit_requests_total",
                  "route",
                  "shared",
                  "source",
                  "redis"))
          .isEqualTo(40);
    }
    // After Redis answered, the rest of the chain ran on the proxy's own threads.
    assertThat(TestSupport.ThreadRecorderFactory.THREADS)
        .isNotEmpty()
        .noneMatch(t -> t.startsWith("lettuce") || t.startsWith("plugmesh-timer"));
  }
}
