package io.plugmesh.kernel.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.plugmesh.kernel.testing.KernelFixture;
import io.plugmesh.kernel.testing.TestUpstream;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Routing, load balancing, failure answers and header hygiene through a real kernel. */
class ProxyIT {
  static TestUpstream a;
  static TestUpstream b;
  static TestUpstream c;
  static int deadPort;
  static KernelFixture proxy;

  @BeforeAll
  static void start() throws Exception {
    a = TestUpstream.http1("a");
    b = TestUpstream.http1("b");
    c = TestUpstream.http1("c");
    try (ServerSocket s = new ServerSocket(0)) {
      deadPort = s.getLocalPort();
    }
    proxy =
        KernelFixture.start(
            """
            listeners:
              - {name: main, address: 127.0.0.1:0}
            clusters:
              - {name: a, endpoints: [{address: %1$s}]}
              - {name: b, endpoints: [{address: %2$s}]}
              - {name: rr, lb: round_robin, endpoints: [{address: %1$s}, {address: %2$s}, {address: %3$s}]}
              - {name: rnd, lb: random, endpoints: [{address: %1$s}, {address: %2$s}]}
              - {name: wr, lb: weighted_random, endpoints: [{address: %1$s, weight: 3}, {address: %2$s, weight: 1}]}
              - {name: lr, lb: least_request, endpoints: [{address: %1$s}, {address: %2$s}]}
              - {name: dead, connectTimeout: 500ms, endpoints: [{address: 127.0.0.1:%4$d}]}
            routes:
              - {name: exact, match: {path: /exact}, cluster: b}
              - {name: regex, match: {pathRegex: "/items/[0-9]+"}, cluster: b}
              - {name: post-only, match: {pathPrefix: /m, methods: [POST]}, cluster: b}
              - {name: beta, match: {pathPrefix: /h, headers: {x-group: beta}}, cluster: b}
              - {name: host, match: {pathPrefix: /host, authority: ["*.example.com"]}, cluster: b}
              - {name: split, match: {pathPrefix: /split}, backends: [{cluster: a, weight: 80}, {cluster: b, weight: 20}]}
              - {name: rr, match: {pathPrefix: /rr}, cluster: rr}
              - {name: rnd, match: {pathPrefix: /rnd}, cluster: rnd}
              - {name: wr, match: {pathPrefix: /wr}, cluster: wr}
              - {name: lr, match: {pathPrefix: /lr}, cluster: lr}
              - {name: dead, match: {pathPrefix: /dead}, cluster: dead}
              - {name: slow, match: {pathPrefix: /delay}, cluster: a, timeout: 300ms}
              - {name: fallback, match: {pathPrefix: /}, cluster: a}
            """
                .formatted(a.address(), b.address(), c.address(), deadPort));
  }

  @AfterAll
  static void stop() {
    proxy.close();
    a.close();
    b.close();
    c.close();
  }

  private static String upstream(HttpResponse<String> r) {
    return r.headers().firstValue("x-upstream").orElse("none");
  }

  @Test
  void routesByExactPathRegexMethodHeaderAndAuthorityFirstMatchWins() throws Exception {
    assertThat(upstream(proxy.get("main", "/exact"))).isEqualTo("b");
    assertThat(upstream(proxy.get("main", "/exact/more"))).isEqualTo("a");
    assertThat(upstream(proxy.get("main", "/items/42"))).isEqualTo("b");
    assertThat(upstream(proxy.get("main", "/items/x"))).isEqualTo("a");
    assertThat(upstream(proxy.get("main", "/m/1"))).isEqualTo("a"); // GET: not post-only
    assertThat(upstream(proxy.get("main", "/h/1", "x-group", "beta"))).isEqualTo("b");
    assertThat(upstream(proxy.get("main", "/h/1", "x-group", "alpha"))).isEqualTo("a");
    assertThat(upstream(proxy.get("main", "/host/1"))).isEqualTo("a");
  }

  @Test
  void unmatchedRequestGets404WithClearBody() throws Exception {
    try (KernelFixture narrow =
        KernelFixture.start(
            """
            listeners: [{name: l, address: 127.0.0.1:0}]
            clusters: [{name: a, endpoints: [{address: %s}]}]
            routes: [{name: only, match: {path: /only}, cluster: a}]
            """
                .formatted(a.address()))) {
      HttpResponse<String> r = narrow.get("l", "/other?x=1");
      assertThat(r.statusCode()).isEqualTo(404);
      assertThat(r.body()).contains("no route matched GET").contains("/other");
    }
  }

  @Test
  void weightedBackendsSplitTraffic() throws Exception {
    Map<String, Integer> counts = count("/split/x", 400);
    // 80/20 of 400: expect ~320/80; bounds are ~6 standard deviations wide.
    assertThat(counts.getOrDefault("a", 0)).isBetween(270, 370);
    assertThat(counts.getOrDefault("b", 0)).isBetween(30, 130);
  }

  @Test
  void roundRobinVisitsEachEndpointInTurn() throws Exception {
    Map<String, Integer> counts = count("/rr", 90);
    assertThat(counts).containsEntry("a", 30).containsEntry("b", 30).containsEntry("c", 30);
  }

  @Test
  void randomAndWeightedRandomFollowWeights() throws Exception {
    Map<String, Integer> random = count("/rnd", 400);
    assertThat(random.getOrDefault("a", 0)).isBetween(140, 260);
    Map<String, Integer> weighted = count("/wr", 400);
    assertThat(weighted.getOrDefault("a", 0)).isBetween(250, 350);
  }

  @Test
  void leastRequestAvoidsTheBusyEndpoint() throws Exception {
    // Keep one request in flight on whichever endpoint it lands; later requests prefer the other.
    var slow =
        proxy.client.sendAsync(
            java.net.http.HttpRequest.newBuilder(proxy.uri("main", "/lr/delay/1500")).build(),
            HttpResponse.BodyHandlers.ofString());
    Thread.sleep(300);
    String busy = a.seen().stream().anyMatch(s -> s.uri().startsWith("/lr/delay")) ? "a" : "b";
    Map<String, Integer> counts = count("/lr/x", 40);
    String idle = busy.equals("a") ? "b" : "a";
    assertThat(counts.getOrDefault(idle, 0)).isGreaterThan(30);
    assertThat(slow.get().statusCode()).isEqualTo(200);
  }

  @Test
  void connectFailureAnswers503AndSlowUpstreamAnswers504() throws Exception {
    HttpResponse<String> dead = proxy.get("main", "/dead");
    assertThat(dead.statusCode()).isEqualTo(503);
    assertThat(dead.body()).contains("upstream connect error");
    long start = System.nanoTime();
    HttpResponse<String> slow = proxy.get("main", "/delay/3000");
    assertThat(slow.statusCode()).isEqualTo(504);
    assertThat(slow.body()).contains("timeout");
    assertThat(proxy.admin("/metrics"))
        .contains("response_code=\"503\",response_flags=\"UF\"")
        .contains("response_code=\"504\",response_flags=\"UT\"");
    assertThat(System.nanoTime() - start).isLessThan(2_900_000_000L);
  }

  @Test
  void hopByHopHeadersAreRemovedAndForwardingHeadersSet() throws Exception {
    HttpResponse<String> r =
        proxy.get(
            "main",
            "/echo/hygiene",
            "x-request-id",
            "req-123",
            "x-forwarded-for",
            "10.1.1.1",
            "keep-alive",
            "timeout=5",
            "x-drop-me",
            "1");
    assertThat(r.statusCode()).isEqualTo(200);
    TestUpstream.Seen seen = a.last();
    assertThat(seen.header("x-request-id")).isEqualTo("req-123");
    assertThat(seen.header("x-forwarded-for")).isEqualTo("10.1.1.1, 127.0.0.1");
    assertThat(seen.header("x-forwarded-proto")).isEqualTo("http");
    assertThat(seen.header("keep-alive")).isNull();

    proxy.get("main", "/echo/generated");
    assertThat(a.last().header("x-request-id")).matches("[0-9a-f-]{36}");
  }

  private static Map<String, Integer> count(String path, int n) throws Exception {
    Map<String, Integer> counts = new HashMap<>();
    for (int i = 0; i < n; i++) {
      HttpResponse<String> r = proxy.get("main", path);
      assertThat(r.statusCode()).isEqualTo(200);
      counts.merge(upstream(r), 1, Integer::sum);
    }
    return counts;
  }
}
