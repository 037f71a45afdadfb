package io.plugmesh.plugins.ratelimit;

import static io.plugmesh.plugins.ratelimit.TestSupport.concurrently;
import static io.plugmesh.plugins.ratelimit.TestSupport.countStatus;
import static io.plugmesh.plugins.ratelimit.TestSupport.metric;
import static org.assertj.core.api.Assertions.assertThat;

import io.plugmesh.kernel.testing.KernelFixture;
import io.plugmesh.kernel.testing.TestUpstream;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Local mode through a real kernel on loopback: exact bursts under concurrency, quotas. */
class RateLimitIT {
  static TestUpstream upstream;
  static KernelFixture proxy;

  @BeforeAll
  static void start() throws Exception {
    upstream = TestUpstream.http1("u");
    proxy =
        KernelFixture.start(
            """
            listeners:
              - {name: main, address: 127.0.0.1:0}
            clusters:
              - {name: u, endpoints: [{address: %s}]}
            routes:
              - name: burst
                match: {pathPrefix: /burst}
                cluster: u
                plugins:
                  - {name: ratelimit, config: {tokens: 1, per: 1h, capacity: 20}}
              - name: quota
                match: {pathPrefix: /quota}
                cluster: u
                plugins:
                  - {name: test-principal}
                  - name: ratelimit
                    config:
                      key: claim:client_id
                      limits: [{name: free, tokens: 2, per: 1h}]
                      defaultLimits: [{name: anonymous, tokens: 1, per: 1h}]
                      overrides:
                        - {match: {"claim:client_id": acme}, limits: [{name: gold, tokens: 5, per: 1h}]}
              - name: shadow
                match: {pathPrefix: /shadow}
                cluster: u
                plugins:
                  - {name: ratelimit, mode: shadow, config: {tokens: 1, per: 1h, headers: legacy}}
            """
                .formatted(upstream.address()),
            new RateLimitFilterFactory(),
            new TestSupport.TestPrincipalFactory());
  }

  @AfterAll
  static void stop() {
    proxy.close();
    upstream.close();
  }

  @Test
  void fiftyConcurrentClientsGetExactlyTheBurst() throws Exception {
    int before = upstream.requests();
    List<HttpResponse<String>> responses = concurrently(List.of(proxy), "/burst/echo", 50);

    assertThat(countStatus(responses, 200)).isEqualTo(20);
    assertThat(countStatus(responses, 429)).isEqualTo(30);
    assertThat(upstream.requests() - before).isEqualTo(20);
    HttpResponse<String> rejected =
        responses.stream().filter(r -> r.statusCode() == 429).findFirst().orElseThrow();
    // Tokens trickle in from the first request on: on a slow machine a second or more may have
    // passed, so the waits are at most (not exactly) one token's period and the full bucket's.
    assertThat(Long.parseLong(rejected.headers().firstValue("retry-after").orElseThrow()))
        .isBetween(3590L, 3600L);
    assertThat(rejected.headers().firstValue("ratelimit").orElseThrow())
        .matches("\"1-per-1h\";r=0;t=7(1\\d{3}|2000)");
    assertThat(rejected.headers().firstValue("ratelimit-policy"))
        .hasValue("\"1-per-1h\";q=20;w=72000");
    assertThat(
            metric(
                proxy,
                "mesh_plugin_ratelimit_requests_total",
                "route",
                "burst",
                "decision",
                "allowed"))
        .isEqualTo(20);
    assertThat(
            metric(
                proxy,
                "mesh_plugin_ratelimit_requests_total",
                "route",
                "burst",
                "decision",
                "limited"))
        .isEqualTo(30);
  }

  @Test
  void aPayingCallerGetsItsOverrideOthersTheirOwnQuotaAnonymousTheDefault() throws Exception {
    List<Integer> acme = new ArrayList<>();
    List<Integer> free = new ArrayList<>();
    List<Integer> anonymous = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      acme.add(proxy.get("main", "/quota/echo", "x-test-client", "acme").statusCode());
      free.add(proxy.get("main", "/quota/echo", "x-test-client", "free-" + (i / 3)).statusCode());
      anonymous.add(proxy.get("main", "/quota/echo").statusCode());
    }

    assertThat(acme).containsExactly(200, 200, 200, 200, 200, 429);
    // two free callers, three requests each: two pass, the third is limited
    assertThat(free).containsExactly(200, 200, 429, 200, 200, 429);
    assertThat(anonymous).containsExactly(200, 429, 429, 429, 429, 429);
    assertThat(
            proxy
                .get("main", "/quota/echo", "x-test-client", "acme")
                .headers()
                .firstValue("ratelimit-policy"))
        .hasValue("\"gold\";q=5;w=3600");
  }

  @Test
  void shadowModeLetsEverythingThroughAndCountsWouldBeRejections() throws Exception {
    List<Integer> statuses = new ArrayList<>();
    List<String> remaining = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      HttpResponse<String> r = proxy.get("main", "/shadow/echo");
      statuses.add(r.statusCode());
      r.headers().firstValue("x-ratelimit-remaining").ifPresent(remaining::add);
    }
    assertThat(statuses).containsOnly(200);
    assertThat(remaining).as("no rate-limit headers in shadow mode").isEmpty();
    // the proxy counts the would-be answers as shadow decisions, the plugin as shadow_limited
    assertThat(
            metric(
                proxy,
                "mesh_plugin_decisions_total",
                "route",
                "shadow",
                "plugin",
                "ratelimit",
                "decision",
                "shadow"))
        .isEqualTo(3);
    assertThat(
            metric(
                proxy,
                "mesh_plugin_ratelimit_requests_total",
                "route",
                "shadow",
                "decision",
                "shadow_limited"))
        .isEqualTo(3);
  }
}
