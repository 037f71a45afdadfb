package io.plugmesh.kernel.observe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.plugmesh.filters.ConfigNode;
import io.plugmesh.filters.Filter;
import io.plugmesh.filters.FilterFactory;
import io.plugmesh.filters.FilterServices;
import io.plugmesh.filters.Phase;
import io.plugmesh.filters.ProxyResponse;
import io.plugmesh.filters.advanced.ResponseFlag;
import io.plugmesh.kernel.testing.KernelFixture;
import io.plugmesh.kernel.testing.TestUpstream;
import java.io.File;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A real Prometheus server (the {@code prometheus} binary, started as a process) scrapes a real
 * proxy's admin {@code /metrics} every second; after traffic, every query of the shipped Grafana
 * dashboard must succeed and return data. Without {@code prometheus} on the PATH the test fails
 * when {@code CI} is set and is skipped otherwise.
 */
class PrometheusDashboardIT {
  private static final Path DASHBOARD = Path.of("..", "dashboards", "plugmesh-overview.json");
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration DATA_TIMEOUT = Duration.ofSeconds(60);
  private static final long STOP_TIMEOUT_SECONDS = 20;
  private static final long POLL_MILLIS = 250;
  private static final int MIN_DASHBOARD_QUERIES = 10;
  private static final JsonMapper JSON = JsonMapper.builder().build();

  @TempDir Path dir;

  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @Test
  void prometheusScrapesTheProxyAndEveryDashboardQueryReturnsData() throws Exception {
    Path prometheus = binary("prometheus");
    List<String> exprs = dashboardExpressions();
    assertThat(exprs).hasSizeGreaterThanOrEqualTo(MIN_DASHBOARD_QUERIES);

    try (TestUpstream app = TestUpstream.http1("app");
        KernelFixture proxy =
            KernelFixture.start(
                """
                listeners:
                  - {name: main, address: 127.0.0.1:0}
                clusters:
                  - {name: app, endpoints: [{address: %s}]}
                  - {name: dead, connectTimeout: 500ms, endpoints: [{address: 127.0.0.1:%d}]}
                routes:
                  - name: reviews
                    match: {pathPrefix: /reviews}
                    cluster: app
                    plugins:
                      - {name: ratelimit, config: {}}
                      - {name: retry, config: {}}
                  - {name: dead, match: {pathPrefix: /dead}, cluster: dead}
                """
                    .formatted(app.address(), freePort()),
                new LimitStandIn(),
                new RetryStandIn())) {
      int promPort = freePort();
      Path config = dir.resolve("prometheus.yml");
      Files.writeString(
          config,
          """
          global:
            scrape_interval: 1s
            evaluation_interval: 1s
          scrape_configs:
            - job_name: plugmesh
              metrics_path: /metrics
              static_configs:
                - targets: ['127.0.0.1:%d']
          """
              .formatted(proxy.kernel.adminPort()));
      Process process =
          new ProcessBuilder(
                  prometheus.toString(),
                  "--config.file=" + config,
                  "--storage.tsdb.path=" + dir.resolve("data"),
                  "--web.listen-address=127.0.0.1:" + promPort)
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("prometheus.log").toFile())
              .start();
      String base = "http://127.0.0.1:" + promPort;
      try {
        waitFor(
            "Prometheus ready at " + base + "/-/ready",
            READY_TIMEOUT,
            () -> process.isAlive() && status(base + "/-/ready") == 200,
            process);
        waitFor(
            "the proxy scraped (up == 1)",
            DATA_TIMEOUT,
            () -> firstValue(query(base, "up{job=\"plugmesh\"}")).orElse(0.0) == 1.0,
            process);

        // Two waves, each seen by a scrape, so rates have an increase to show.
        int sent = 0;
        for (int wave = 0; wave < 2; wave++) {
          int expected = sent + traffic(proxy);
          waitFor(
              "Prometheus to see " + expected + " requests",
              DATA_TIMEOUT,
              () -> firstValue(query(base, "sum(mesh_requests_total)")).orElse(0.0) >= expected,
              process);
          sent = expected;
        }
        // Two more scrapes so every rate() sees the increase.
        Thread.sleep(2_500);

        List<String> empty = new ArrayList<>();
        for (String expr : exprs) {
          String runnable = expr.replace("$__rate_interval", "1m").replace("$route", ".*");
          JsonNode answer = query(base, runnable);
          assertThat(answer.path("status").asString())
              .as("query %s answered %s", runnable, answer)
              .isEqualTo("success");
          if (answer.path("data").path("result").isEmpty()) {
            empty.add(runnable);
          }
        }
        assertThat(empty).as("dashboard queries without data").isEmpty();

        // Spot-check that the data is the traffic's, not just present.
        assertThat(
                firstValue(
                    query(
                        base,
                        "sum(mesh_plugin_decisions_total{plugin=\"ratelimit\",decision=\"respond\"})")))
            .contains(4.0);
        assertThat(firstValue(query(base, "sum(mesh_upstream_retries_total{route=\"reviews\"})")))
            .contains(6.0);
        assertThat(
                firstValue(
                    query(base, "sum(mesh_requests_total{route=\"dead\",response_flags=\"UF\"})")))
            .contains(4.0);
        assertThat(firstValue(query(base, "max(mesh_config_version)"))).isPresent();
      } finally {
        process.destroy();
        if (!process.waitFor(STOP_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
          process.destroyForcibly();
          process.waitFor(STOP_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        }
      }
    }
  }

  /** Sends one round of traffic of every kind the dashboard shows; returns the request count. */
  private static int traffic(KernelFixture proxy) throws Exception {
    int n = 0;
    for (int i = 0; i < 10; i++) {
      assertThat(proxy.get("main", "/reviews/" + i).statusCode()).isEqualTo(200);
      n++;
    }
    for (int i = 0; i < 2; i++) {
      assertThat(proxy.get("main", "/reviews/limited", "x-limit", "1").statusCode()).isEqualTo(429);
      n++;
    }
    for (int i = 0; i < 3; i++) {
      // The first attempt gets 503, the stand-in retry sends it again to a 200 path.
      assertThat(proxy.get("main", "/reviews/status/503").statusCode()).isEqualTo(200);
      n++;
    }
    for (int i = 0; i < 2; i++) {
      assertThat(proxy.get("main", "/dead").statusCode()).isEqualTo(503);
      n++;
    }
    assertThat(proxy.get("main", "/nowhere").statusCode()).isEqualTo(404);
    return n + 1;
  }

  /** Every {@code expr} of the dashboard's panels, rows included. */
  private static List<String> dashboardExpressions() throws Exception {
    assertThat(DASHBOARD).exists();
    JsonNode root = JSON.readTree(Files.readString(DASHBOARD));
    List<String> out = new ArrayList<>();
    collect(root.path("panels"), out);
    return out;
  }

  private static void collect(JsonNode panels, List<String> out) {
    for (JsonNode panel : panels) {
      for (JsonNode target : panel.path("targets")) {
        String expr = target.path("expr").asString("");
        if (!expr.isBlank()) {
          out.add(expr);
        }
      }
      collect(panel.path("panels"), out);
    }
  }

  private JsonNode query(String base, String promql) {
    try {
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(
                      URI.create(
                          base
                              + "/api/v1/query?query="
                              + URLEncoder.encode(promql, StandardCharsets.UTF_8)))
                  .timeout(Duration.ofSeconds(10))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      return JSON.readTree(r.body());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("query " + promql, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted during query " + promql, e);
    }
  }

  private static Optional<Double> firstValue(JsonNode answer) {
    JsonNode result = answer.path("data").path("result");
    if (!result.isArray() || result.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(Double.parseDouble(result.get(0).path("value").get(1).asString()));
  }

  private int status(String url) {
    try {
      return http.send(
              HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
              HttpResponse.BodyHandlers.discarding())
          .statusCode();
    } catch (Exception e) {
      return -1;
    }
  }

  private void waitFor(String what, Duration timeout, BooleanSupplier condition, Process process)
      throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (condition.getAsBoolean()) {
        return;
      }
      if (!process.isAlive()) {
        break;
      }
      Thread.sleep(POLL_MILLIS);
    }
    fail(
        "timed out waiting for "
            + what
            + "; prometheus log:\n"
            + Files.readString(dir.resolve("prometheus.log")));
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static Path binary(String name) {
    Optional<Path> found =
        Pattern.compile(Pattern.quote(File.pathSeparator))
            .splitAsStream(Optional.ofNullable(System.getenv("PATH")).orElse(""))
            .filter(d -> !d.isEmpty())
            .map(d -> Path.of(d, name))
            .filter(Files::isExecutable)
            .findFirst();
    String missing =
        name
            + " not found on PATH; install it with"
            + " 'apt-get install -y --no-install-recommends prometheus'";
    if (found.isEmpty()) {
      String ci = System.getenv("CI");
      if (ci != null && !ci.isEmpty() && !ci.equalsIgnoreCase("false")) {
        fail(missing + " (required when CI is set)");
      }
      Assumptions.abort(missing + "; skipping outside CI");
    }
    return found.get();
  }

  /**
   * Stands in for a rate-limit plugin: answers 429 with the RL flag when {@code x-limit} is set.
   */
  static final class LimitStandIn implements FilterFactory<ConfigNode> {
    @Override
    public String name() {
      return "ratelimit";
    }

    @Override
    public Phase phase() {
      return Phase.RATE_LIMIT;
    }

    @Override
    public String configSchema() {
      return "{\"type\": \"object\"}";
    }

    @Override
    public ConfigNode parseConfig(ConfigNode config) {
      return config;
    }

    @Override
    public Filter create(ConfigNode config, FilterServices services) {
      return (request, chain) -> {
        if (request.headers().contains("x-limit")) {
          request.context().addResponseFlag(ResponseFlag.RATE_LIMITED);
          return CompletableFuture.completedFuture(ProxyResponse.of(429, "limited\n"));
        }
        return chain.proceed(request);
      };
    }
  }

  /** Stands in for a retry plugin: after a 503 it sends the request again to a path that works. */
  static final class RetryStandIn implements FilterFactory<ConfigNode> {
    @Override
    public String name() {
      return "retry";
    }

    @Override
    public Phase phase() {
      return Phase.RETRY;
    }

    @Override
    public String configSchema() {
      return "{\"type\": \"object\"}";
    }

    @Override
    public ConfigNode parseConfig(ConfigNode config) {
      return config;
    }

    @Override
    public int replay(ConfigNode config) {
      return 1024;
    }

    @Override
    public Filter create(ConfigNode config, FilterServices services) {
      return (request, chain) ->
          chain
              .proceed(request)
              .thenCompose(
                  first -> {
                    if (first.status() != 503) {
                      return CompletableFuture.completedFuture(first);
                    }
                    first.discard();
                    request.setPath("/reviews/retried");
                    return chain.proceed(request);
                  });
    }
  }
}
