package io.plugmesh.kernel.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.plugmesh.kernel.testing.KernelFixture;
import io.plugmesh.kernel.testing.TestUpstream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** The cluster layer keeps calls reliable: breakers, outlier ejection, active health checks. */
class ResilienceIT {

  @Test
  void circuitBreakerAnswers503AtOnceAndBoundsUpstreamConcurrency() throws Exception {
    try (TestUpstream up = TestUpstream.http1("up");
        KernelFixture proxy =
            KernelFixture.start(
                """
                listeners: [{name: l, address: 127.0.0.1:0}]
                clusters:
                  - name: c
                    circuitBreaker: {maxRequests: 2}
                    endpoints: [{address: %s}]
                routes: [{name: r, match: {pathPrefix: /}, cluster: c}]
                """
                    .formatted(up.address()))) {
      List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        calls.add(
            proxy.client.sendAsync(
                HttpRequest.newBuilder(proxy.uri("l", "/delay/1500"))
                    .timeout(Duration.ofSeconds(10))
                    .build(),
                HttpResponse.BodyHandlers.ofString()));
      }
      Map<Integer, Integer> statuses = new HashMap<>();
      for (var call : calls) {
        statuses.merge(call.get().statusCode(), 1, Integer::sum);
      }
      assertThat(statuses.get(200)).isEqualTo(2);
      assertThat(statuses.get(503)).isEqualTo(8);
      assertThat(up.maxInFlight()).isLessThanOrEqualTo(2);
      assertThat(proxy.admin("/metrics")).contains("response_flags=\"UO\"");
    }
  }

  @Test
  void endpointWithConsecutive5xxIsEjectedThenReturns() throws Exception {
    try (TestUpstream good = TestUpstream.http1("good");
        TestUpstream bad = TestUpstream.http1("bad");
        KernelFixture proxy =
            KernelFixture.start(
                """
                listeners: [{name: l, address: 127.0.0.1:0}]
                clusters:
                  - name: c
                    lb: round_robin
                    outlierDetection: {consecutive5xx: 3, baseEjectionTime: 1s, maxEjectionPercent: 50}
                    endpoints: [{address: %s}, {address: %s}]
                routes: [{name: r, match: {pathPrefix: /}, cluster: c}]
                """
                    .formatted(good.address(), bad.address()))) {
      bad.forceStatus(500);
      int failures = 0;
      for (int i = 0; i < 40; i++) {
        if (proxy.get("l", "/x").statusCode() == 500) {
          failures++;
        }
      }
      // Three 500s eject the bad endpoint; then everything goes to the good one.
      assertThat(failures).isEqualTo(3);
      int badBefore = bad.requests();
      bad.forceStatus(0);
      Awaitility.await()
          .atMost(Duration.ofSeconds(5))
          .pollInterval(Duration.ofMillis(100))
          .until(
              () -> {
                proxy.get("l", "/x");
                return bad.requests() > badBefore;
              });
      assertThat(proxy.get("l", "/x").statusCode()).isEqualTo(200);
    }
  }

  @Test
  void activeHealthChecksTakeUnhealthyEndpointsOutAndBack() throws Exception {
    try (TestUpstream good = TestUpstream.http1("good");
        TestUpstream sick = TestUpstream.http1("sick");
        KernelFixture proxy =
            KernelFixture.start(
                """
                listeners: [{name: l, address: 127.0.0.1:0}]
                clusters:
                  - name: c
                    lb: round_robin
                    healthCheck: {path: /healthz, interval: 100ms, timeout: 500ms, healthyThreshold: 1, unhealthyThreshold: 2}
                    endpoints: [{address: %s}, {address: %s}]
                routes: [{name: r, match: {pathPrefix: /}, cluster: c}]
                """
                    .formatted(good.address(), sick.address()))) {
      sick.forceStatus(503);
      Awaitility.await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> sick.seen().stream().filter(s -> s.uri().equals("/healthz")).count() >= 2);
      Thread.sleep(300);
      for (int i = 0; i < 20; i++) {
        HttpResponse<String> r = proxy.get("l", "/x");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("x-upstream")).hasValue("good");
      }
      sick.forceStatus(0);
      Awaitility.await()
          .atMost(Duration.ofSeconds(5))
          .pollInterval(Duration.ofMillis(50))
          .until(
              () ->
                  proxy
                      .get("l", "/x")
                      .headers()
                      .firstValue("x-upstream")
                      .orElse("")
                      .equals("sick"));
    }
  }

  @Test
  void allEndpointsUnhealthyAnswers503NoHealthyUpstream() throws Exception {
    try (TestUpstream sick = TestUpstream.http1("sick");
        KernelFixture proxy =
            KernelFixture.start(
                """
                listeners: [{name: l, address: 127.0.0.1:0}]
                clusters:
                  - name: c
                    healthCheck: {type: http, path: /healthz, interval: 100ms, unhealthyThreshold: 1}
                    endpoints: [{address: %s}]
                routes: [{name: r, match: {pathPrefix: /}, cluster: c}]
                """
                    .formatted(sick.address()))) {
      sick.forceStatus(500);
      Awaitility.await()
          .atMost(Duration.ofSeconds(5))
          .pollInterval(Duration.ofMillis(50))
          .until(() -> proxy.get("l", "/x").statusCode() == 503);
      assertThat(proxy.get("l", "/x").body()).contains("no healthy endpoint");
      assertThat(proxy.admin("/metrics")).contains("response_flags=\"UH\"");
    }
  }
}
