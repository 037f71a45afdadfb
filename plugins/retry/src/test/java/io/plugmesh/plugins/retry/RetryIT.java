package io.plugmesh.plugins.retry;

import static io.plugmesh.kernel.testing.TestUpstream.FAIL_FIRST;
import static io.plugmesh.kernel.testing.TestUpstream.FAIL_WITH;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.plugmesh.kernel.testing.KernelFixture;
import io.plugmesh.kernel.testing.PrometheusText;
import io.plugmesh.kernel.testing.TestUpstream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The retry plugin through a real kernel against a scriptable loopback upstream. */
class RetryIT {
  static TestUpstream a;
  static TestUpstream b;
  static KernelFixture proxy;

  @BeforeAll
  static void start() throws Exception {
    a = TestUpstream.http1("a");
    b = TestUpstream.http1("b");
    int deadPort;
    try (ServerSocket s = new ServerSocket(0)) {
      deadPort = s.getLocalPort();
    }
    proxy =
        KernelFixture.start(
            """
            listeners: [{name: main, address: 127.0.0.1:0}]
            clusters:
              - {name: a, endpoints: [{address: %1$s}]}
              - {name: pair, lb: random, connectTimeout: 500ms, endpoints: [{address: 127.0.0.1:%3$d}, {address: %2$s}]}
            routes:
              - name: basic
                match: {pathPrefix: /basic}
                cluster: a
                timeout: 5s
                plugins:
                  - {name: retry, config: {attempts: 3, retryOn: [5xx], backoff: {base: 1ms}}}
              - name: partial
                match: {pathPrefix: /cut}
                cluster: a
                plugins:
                  - {name: retry, config: {attempts: 3, retryOn: [5xx], backoff: {base: 1ms}}}
              - name: per-try
                match: {pathPrefix: /per-try}
                cluster: a
                timeout: 5s
                plugins:
                  - {name: retry, config: {attempts: 3, perTryTimeout: 200ms, backoff: {base: 1ms}}}
              - name: overall
                match: {pathPrefix: /overall}
                cluster: a
                timeout: 700ms
                plugins:
                  - {name: retry, config: {attempts: 10, perTryTimeout: 300ms, backoff: {base: 1ms}}}
              - name: outage
                match: {pathPrefix: /outage}
                cluster: a
                plugins:
                  - {name: retry, config: {attempts: 3, retryOn: [5xx], backoff: {base: 1ms}, budget: {percent: 10, minRetries: 3, window: 1h}}}
              - name: body
                match: {pathPrefix: /body}
                cluster: a
                plugins:
                  - {name: retry, config: {attempts: 2, methods: [POST], retryOn: [5xx], maxReplayBytes: 1024, backoff: {base: 1ms}}}
              - name: other
                match: {pathPrefix: /other}
                cluster: pair
                plugins:
                  - {name: retry, config: {attempts: 2, retryOn: [connect-failure], budget: {percent: 100}}}
              - name: orders
                match: {pathPrefix: /orders}
                cluster: pair
                plugins:
                  - {name: retry, config: {attempts: 3, budget: {percent: 100}}}
            """
                .formatted(a.address(), b.address(), deadPort),
            new RetryFilterFactory());
  }

  @AfterAll
  static void stop() {
    proxy.close();
    a.close();
    b.close();
  }

  private static String id() {
    return UUID.randomUUID().toString();
  }

  private static double metric(String name, String... labels) throws Exception {
    return PrometheusText.sum(proxy.admin("/metrics"), name, labels);
  }

  private static HttpResponse<String> post(String path, byte[] body, String... headers)
      throws Exception {
    HttpRequest.Builder req =
        HttpRequest.newBuilder(proxy.uri("main", path))
            .timeout(Duration.ofSeconds(10))
            .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    for (int i = 0; i < headers.length; i += 2) {
      req.header(headers[i], headers[i + 1]);
    }
    return proxy.client.send(req.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void getIsRetriedToSuccessAfterStatusesAndResets() throws Exception {
    String id = id();
    HttpResponse<String> r = proxy.get("main", "/basic/echo", "x-request-id", id, FAIL_FIRST, "2");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).startsWith("a GET /basic/echo");
    assertThat(a.requestsFor(id)).isEqualTo(3);

    String reset = id();
    HttpResponse<String> afterResets =
        proxy.get(
            "main", "/basic/echo", "x-request-id", reset, FAIL_FIRST, "2", FAIL_WITH, "reset");
    assertThat(afterResets.statusCode()).isEqualTo(200);
    assertThat(a.requestsFor(reset)).isEqualTo(3);

    assertThat(metric("mesh_plugin_retries_total", "route", "basic", "reason", "status_5xx"))
        .isEqualTo(2);
    // At least one: a reset on a reused pooled connection may be resent by the kernel itself
    // (a stale keep-alive connection) before the plugin sees it.
    assertThat(metric("mesh_plugin_retries_total", "route", "basic", "reason", "reset"))
        .isBetween(1.0, 2.0);
    assertThat(metric("mesh_plugin_retry_successes_total", "route", "basic")).isEqualTo(2);
  }

  @Test
  void exhaustedRetriesReturnTheLastResponseFlaggedUrx() throws Exception {
    String id = id();
    HttpResponse<String> r = proxy.get("main", "/basic/x", "x-request-id", id, FAIL_FIRST, "5");
    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(r.body()).contains("scripted 503 (attempt 3)");
    assertThat(a.requestsFor(id)).isEqualTo(3);
    assertThat(
            metric(
                "mesh_requests_total",
                "route",
                "basic",
                "response_code",
                "503",
                "response_flags",
                "URX"))
        .isGreaterThanOrEqualTo(1);
  }

  @Test
  void postIsNotRetriedByDefault() throws Exception {
    String id = id();
    HttpResponse<String> r =
        post("/basic/echo", "{}".getBytes(), "x-request-id", id, FAIL_FIRST, "1");
    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(a.requestsFor(id)).isEqualTo(1);
  }

  @Test
  void noRetryOnceTheResponseHeadWasAccepted() throws Exception {
    String id = id();
    // 200 head, half the announced body, then the upstream cuts the connection.
    // The client sees the cut (the proxy closes its connection), not a timeout.
    assertThatThrownBy(() -> proxy.get("main", "/cut/partial/65536", "x-request-id", id))
        .isInstanceOf(IOException.class)
        .isNotInstanceOf(HttpTimeoutException.class);
    assertThat(a.requestsFor(id)).isEqualTo(1);
  }

  @Test
  void perTryTimeoutCutsASlowAttemptAndRetries() throws Exception {
    String id = id();
    HttpResponse<String> r =
        proxy.get(
            "main", "/per-try/echo", "x-request-id", id, FAIL_FIRST, "1", FAIL_WITH, "delay:3000");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(a.requestsFor(id)).isEqualTo(2);
    assertThat(metric("mesh_plugin_per_try_timeouts_total", "route", "per-try")).isEqualTo(1);
  }

  @Test
  void theRouteTimeoutBoundsAllAttempts() throws Exception {
    String id = id();
    HttpResponse<String> r =
        proxy.get(
            "main", "/overall/echo", "x-request-id", id, FAIL_FIRST, "10", FAIL_WITH, "delay:5000");
    assertThat(r.statusCode()).isEqualTo(504);
    int attempts = a.requestsFor(id);
    // 700ms route timeout, 300ms per try: attempts start at about 0, 300 and 600 ms.
    assertThat(attempts).isBetween(2, 3);
    Thread.sleep(800); // longer than a per-try timeout: a retry after the deadline would show
    assertThat(a.requestsFor(id)).isEqualTo(attempts);
    assertThat(
            metric(
                "mesh_requests_total",
                "route",
                "overall",
                "response_code",
                "504",
                "response_flags",
                "UT"))
        .isEqualTo(1);
  }

  @Test
  void theBudgetCapsUpstreamAttemptsUnderATotalOutage() throws Exception {
    int before = a.requests();
    int requests = 60;
    for (int i = 0; i < requests; i++) {
      assertThat(proxy.get("main", "/outage/status/503").statusCode()).isEqualTo(503);
    }
    int attempts = a.requests() - before;
    // Without a budget 180 attempts; with it at most 60 + 3 + 10% of 60 = 69.
    assertThat(attempts).isBetween(requests + 3, requests + 9);
    assertThat(metric("mesh_plugin_retries_budget_exhausted_total", "route", "outage"))
        .isGreaterThanOrEqualTo(requests - 9);
  }

  @Test
  void bodiesAreReplayedUpToTheLimitAndASkipBeyondItIsFlaggedAndCounted() throws Exception {
    String small = id();
    byte[] kib = new byte[1024];
    HttpResponse<String> replayed = post("/body/echo", kib, "x-request-id", small, FAIL_FIRST, "1");
    assertThat(replayed.statusCode()).isEqualTo(200);
    List<TestUpstream.Seen> seen =
        a.seen().stream().filter(s -> small.equals(s.header("x-request-id"))).toList();
    assertThat(seen).extracting(TestUpstream.Seen::bodyBytes).containsExactly(1024L, 1024L);

    String large = id();
    HttpResponse<String> skipped =
        post("/body/echo", new byte[1025], "x-request-id", large, FAIL_FIRST, "1");
    assertThat(skipped.statusCode()).isEqualTo(503);
    assertThat(skipped.headers().firstValue(RetryFilter.SKIPPED_HEADER)).contains("body-too-large");
    assertThat(a.seen().stream().filter(s -> large.equals(s.header("x-request-id"))))
        .extracting(TestUpstream.Seen::bodyBytes)
        .containsExactly(1025L); // sent once, whole; never an empty-body retry

    // A chunked upload (no content-length) over the limit streams and is skipped the same way.
    String chunked = id();
    HttpResponse<String> streamed =
        proxy.client.send(
            HttpRequest.newBuilder(proxy.uri("main", "/body/echo"))
                .timeout(Duration.ofSeconds(10))
                .header("x-request-id", chunked)
                .header(FAIL_FIRST, "1")
                .POST(
                    HttpRequest.BodyPublishers.ofInputStream(
                        () -> new ByteArrayInputStream(new byte[300_000])))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(streamed.statusCode()).isEqualTo(503);
    assertThat(streamed.headers().firstValue(RetryFilter.SKIPPED_HEADER))
        .contains("body-too-large");
    assertThat(a.seen().stream().filter(s -> chunked.equals(s.header("x-request-id"))))
        .extracting(TestUpstream.Seen::bodyBytes)
        .containsExactly(300_000L);

    assertThat(metric("mesh_plugin_retries_skipped_body_too_large_total", "route", "body"))
        .isEqualTo(2);
    assertThat(
            metric(
                "mesh_requests_total",
                "route",
                "body",
                "response_code",
                "503",
                "response_flags",
                "RBL"))
        .isEqualTo(2);
  }

  @Test
  void retriesPickAnotherEndpoint() throws Exception {
    int before = b.requests();
    int requests = 40;
    for (int i = 0; i < requests; i++) {
      // Half the first attempts hit the dead endpoint; the retry must avoid it.
      HttpResponse<String> r = proxy.get("main", "/other/echo");
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }
    assertThat(b.requests() - before).isEqualTo(requests);
    assertThat(metric("mesh_plugin_retries_total", "route", "other", "reason", "connect_failure"))
        .isGreaterThan(0);
  }

  @Test
  void postsAreRetriedAfterAConnectFailureToTheHealthyEndpoint() throws Exception {
    int before = b.requests();
    int requests = 100;
    for (int i = 0; i < requests; i++) {
      // Nothing was sent on a refused connection, so even a POST may go to the other endpoint.
      HttpResponse<String> r = post("/orders/echo", ("order " + i).getBytes());
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      assertThat(r.body()).startsWith("b POST /orders/echo");
    }
    assertThat(b.requests() - before).isEqualTo(requests);
    assertThat(metric("mesh_plugin_retries_total", "route", "orders", "reason", "connect_failure"))
        .isGreaterThan(0);
  }

  @Test
  void aPostWhoseUpstreamResetAfterReceivingItIsNotRetried() throws Exception {
    String id = id();
    HttpResponse<String> r =
        post(
            "/orders/echo",
            "{}".getBytes(),
            "x-request-id",
            id,
            FAIL_FIRST,
            "1",
            FAIL_WITH,
            "reset");
    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(b.requestsFor(id)).isEqualTo(1);
  }
}
