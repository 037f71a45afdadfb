package io.plugmesh.plugins.fault;

import static org.assertj.core.api.Assertions.assertThat;

import io.plugmesh.kernel.testing.KernelFixture;
import io.plugmesh.kernel.testing.PrometheusText;
import io.plugmesh.kernel.testing.TestUpstream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fault plugin, loaded from its real plugin jar, through a kernel on loopback. */
class FaultIT {
  @TempDir static Path plugins;
  static TestUpstream up;
  static KernelFixture proxy;

  @BeforeAll
  static void start() throws Exception {
    up = TestUpstream.http1("up");
    try (DirectoryStream<Path> jars =
        Files.newDirectoryStream(Path.of("target"), "fault-*-plugin.jar")) {
      for (Path jar : jars) {
        Files.copy(jar, plugins.resolve(jar.getFileName()));
      }
    }
    proxy =
        KernelFixture.startWithPlugins(
            """
            listeners: [{name: main, address: 127.0.0.1:0}]
            clusters: [{name: up, endpoints: [{address: %s}]}]
            routes:
              - name: abort
                match: {pathPrefix: /abort}
                cluster: up
                plugins: [{name: fault, config: {abort: {httpStatus: 503, percentage: 25}}}]
              - name: late
                match: {pathPrefix: /late}
                cluster: up
                plugins: [{name: fault, config: {delay: {fixed: 20ms, percentage: 30}}}]
              - name: gated
                match: {pathPrefix: /gated}
                cluster: up
                plugins:
                  - name: fault
                    config:
                      abort: {httpStatus: 429, percentage: 100, headerPercentage: true}
                      headers: {x-fault: "on"}
              - name: grpc
                match: {pathPrefix: /pkg.Service}
                cluster: up
                plugins: [{name: fault, config: {abort: {httpStatus: 503}}}]
              - name: slow
                match: {pathPrefix: /slow}
                cluster: up
                timeout: 300ms
                plugins: [{name: fault, config: {delay: {fixed: 1s}}}]
              - name: capped
                match: {pathPrefix: /capped}
                cluster: up
                plugins: [{name: fault, config: {delay: {fixed: 1s}, maxActiveFaults: 2}}]
              - name: plain
                match: {pathPrefix: /}
                cluster: up
            """
                .formatted(up.address()),
            plugins);
  }

  @AfterAll
  static void stop() {
    proxy.close();
    up.close();
  }

  private static double metric(String name, String... labels) throws Exception {
    return PrometheusText.sum(proxy.admin("/metrics"), name, labels);
  }

  private static CompletableFuture<HttpResponse<String>> async(String path) {
    return proxy.client.sendAsync(
        HttpRequest.newBuilder(proxy.uri("main", path)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void thePluginComesFromItsJar() throws Exception {
    assertThat(Files.list(plugins).map(p -> p.getFileName().toString()))
        .singleElement()
        .satisfies(name -> assertThat(name).startsWith("fault-").endsWith("-plugin.jar"));
    assertThat(proxy.admin("/plugins")).contains("fault");
  }

  @Test
  void abortPercentageIsStatisticallyWithinBounds() throws Exception {
    int before = up.requests();
    int n = 400;
    int aborted = 0;
    for (int i = 0; i < n; i++) {
      HttpResponse<String> r = proxy.get("main", "/abort/echo");
      if (r.statusCode() == 503) {
        assertThat(r.body()).isEqualTo("fault filter abort\n");
        aborted++;
      } else {
        assertThat(r.statusCode()).isEqualTo(200);
      }
    }
    // 25% of 400: expect 100, standard deviation about 8.7; the bounds are over 5 of them wide.
    assertThat(aborted).isBetween(55, 145);
    assertThat(up.requests() - before).isEqualTo(n - aborted);
    assertThat(metric("mesh_plugin_aborts_injected_total", "route", "abort")).isEqualTo(aborted);
    assertThat(metric("mesh_requests_total", "route", "abort", "response_code", "503"))
        .isEqualTo(aborted);
  }

  @Test
  void delayPercentageIsStatisticallyWithinBounds() throws Exception {
    int n = 200;
    for (int i = 0; i < n; i++) {
      assertThat(proxy.get("main", "/late/echo").statusCode()).isEqualTo(200);
    }
    double delayed = metric("mesh_plugin_delays_injected_total", "route", "late");
    // 30% of 200: expect 60, standard deviation about 6.5.
    assertThat(delayed).isBetween(30.0, 90.0);
    assertThat(metric("mesh_requests_total", "route", "late", "response_flags", "DI"))
        .isEqualTo(delayed);
  }

  @Test
  void onlyMarkedRequestsAreFaultedAndTheHeaderMayChooseTheShare() throws Exception {
    assertThat(proxy.get("main", "/gated/echo").statusCode()).isEqualTo(200);
    assertThat(proxy.get("main", "/gated/echo", "x-fault", "off").statusCode()).isEqualTo(200);
    assertThat(proxy.get("main", "/gated/echo", "x-fault", "on").statusCode()).isEqualTo(429);
    assertThat(
            proxy
                .get(
                    "main",
                    "/gated/echo",
                    "x-fault",
                    "on",
                    FaultFilter.ABORT_PERCENTAGE_HEADER,
                    "0")
                .statusCode())
        .isEqualTo(200);
  }

  @Test
  void grpcRequestsGetATrailersOnlyStatus() throws Exception {
    HttpResponse<String> r =
        proxy.client.send(
            HttpRequest.newBuilder(proxy.uri("main", "/pkg.Service/Call"))
                .timeout(Duration.ofSeconds(10))
                .header("content-type", "application/grpc")
                .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[5]))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("grpc-status")).contains("14");
    assertThat(r.headers().firstValue("grpc-message")).contains("fault filter abort");
    assertThat(r.headers().firstValue("content-type")).contains("application/grpc");
  }

  @Test
  void aDelayCountsTowardTheRouteTimeoutAndTheRequestNeverLeaves() throws Exception {
    String id = UUID.randomUUID().toString();
    HttpResponse<String> r = proxy.get("main", "/slow/echo", "x-request-id", id);
    assertThat(r.statusCode()).isEqualTo(504);
    Thread.sleep(1200); // past the injected delay: a request passed on after the timeout would show
    assertThat(up.requestsFor(id)).isZero();
    assertThat(
            metric(
                "mesh_requests_total",
                "route",
                "slow",
                "response_code",
                "504",
                "response_flags",
                "UT,DI"))
        .isEqualTo(1);
  }

  @Test
  void delaysHoldNoThreadAndActiveFaultsAreCapped() throws Exception {
    List<CompletableFuture<HttpResponse<String>>> delayed = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      delayed.add(async("/capped/echo/" + i));
    }
    // Requests on other routes are served while delayed ones wait.
    assertThat(proxy.get("main", "/plain/echo").statusCode()).isEqualTo(200);
    for (CompletableFuture<HttpResponse<String>> f : delayed) {
      assertThat(f.get().statusCode()).isEqualTo(200);
    }
    assertThat(metric("mesh_plugin_delays_injected_total", "route", "capped")).isEqualTo(2);
    assertThat(metric("mesh_plugin_faults_overflow_total", "route", "capped")).isEqualTo(3);
  }
}
