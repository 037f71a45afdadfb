package io.plugmesh.kernel.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.nio.NioIoHandler;
import io.plugmesh.filters.advanced.ResponseFlag;
import io.plugmesh.kernel.observe.ProxyMetrics;
import io.plugmesh.kernel.observe.RequestLog;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

class AdminServerIT {

  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final TestState state = new TestState(registry);
  private final HttpClient client =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(TIMEOUT).build();
  private EventLoopGroup group;
  private AdminServer server;

  /** A runtime stand-in whose answers the tests change. */
  static final class TestState implements AdminState {
    private final PrometheusMeterRegistry registry;
    volatile boolean live = true;
    volatile Readiness readiness = new Readiness(true, false, "serving");
    volatile long version = 7;
    volatile RuntimeException failure;

    TestState(PrometheusMeterRegistry registry) {
      this.registry = registry;
    }

    @Override
    public boolean live() {
      return live;
    }

    @Override
    public Readiness readiness() {
      return readiness;
    }

    @Override
    public long configVersion() {
      return version;
    }

    @Override
    public Map<String, Object> configTree() {
      if (failure != null) {
        throw failure;
      }
      return Map.of("routes", List.of(Map.of("name", "reviews-read", "timeout", "2s")));
    }

    @Override
    public List<Map<String, Object>> plugins() {
      return List.of(Map.of("id", "rbac", "version", "1.0.0"));
    }

    @Override
    public String scrapeMetrics(String contentType) {
      return registry.scrape(contentType);
    }
  }

  @BeforeEach
  void start() {
    group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    server = AdminServer.start("127.0.0.1", 0, state, group);
    ProxyMetrics metrics = new ProxyMetrics(registry, "mesh");
    metrics.record(
        new RequestLog(
            Instant.now(),
            "GET",
            "/r",
            "HTTP/1.1",
            429,
            EnumSet.of(ResponseFlag.RATE_LIMITED),
            0,
            10,
            1_000_000,
            -1,
            null,
            null,
            null,
            null,
            null,
            "reviews-read",
            "reviews-v1",
            "ratelimit",
            null,
            null,
            "inbound"));
  }

  @AfterEach
  void stop() {
    server.close();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    registry.close();
  }

  private HttpResponse<String> get(String path, String... headers) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
            .timeout(TIMEOUT)
            .GET();
    if (headers.length > 0) {
      request.headers(headers);
    }
    return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void liveAnswers200UntilTheRuntimeSaysOtherwise() throws Exception {
    HttpResponse<String> live = get("/live");
    assertThat(live.statusCode()).isEqualTo(200);
    assertThat(live.body()).isEqualTo("live\n");

    state.live = false;
    assertThat(get("/live").statusCode()).isEqualTo(503);
  }

  @Test
  void readyIs200WhenServingEvenIfStaleAnd503WhenNot() throws Exception {
    state.readiness = new Readiness(true, true, "serving a persisted config");
    HttpResponse<String> stale = get("/ready");
    assertThat(stale.statusCode()).isEqualTo(200);
    assertThat(stale.headers().firstValue("content-type")).hasValue("application/json");
    JsonNode body = JSON.readTree(stale.body());
    assertThat(body.get("ready").asBoolean()).isTrue();
    assertThat(body.get("stale").asBoolean()).isTrue();
    assertThat(body.get("detail").asString()).isEqualTo("serving a persisted config");
    assertThat(body.get("configVersion").asLong()).isEqualTo(7);

    state.readiness = new Readiness(false, false, "waiting for first config");
    HttpResponse<String> notReady = get("/ready");
    assertThat(notReady.statusCode()).isEqualTo(503);
    assertThat(JSON.readTree(notReady.body()).get("detail").asString())
        .isEqualTo("waiting for first config");
  }

  @Test
  void metricsInPrometheusTextOrOpenMetricsWhenAsked() throws Exception {
    HttpResponse<String> text = get("/metrics");
    assertThat(text.statusCode()).isEqualTo(200);
    assertThat(text.headers().firstValue("content-type")).hasValue(AdminServer.PROMETHEUS_TEXT);
    assertThat(text.body())
        .contains("# TYPE mesh_requests_total counter")
        .contains("response_code=\"429\"")
        .contains("mesh_request_duration_milliseconds_bucket{")
        .doesNotContain("# EOF");

    HttpResponse<String> open =
        get(
            "/metrics",
            "Accept",
            "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5");
    assertThat(open.statusCode()).isEqualTo(200);
    assertThat(open.headers().firstValue("content-type")).hasValue(AdminServer.OPENMETRICS_TEXT);
    assertThat(open.body()).contains("# TYPE mesh_requests counter").endsWith("# EOF\n");
  }

  @Test
  void configAndPluginsAreJson() throws Exception {
    HttpResponse<String> config = get("/config?pretty");
    assertThat(config.statusCode()).isEqualTo(200);
    JsonNode tree = JSON.readTree(config.body());
    assertThat(tree.get("version").asLong()).isEqualTo(7);
    assertThat(tree.get("config").get("routes").get(0).get("name").asString())
        .isEqualTo("reviews-read");

    HttpResponse<String> plugins = get("/plugins");
    assertThat(plugins.statusCode()).isEqualTo(200);
    assertThat(JSON.readTree(plugins.body()).get(0).get("id").asString()).isEqualTo("rbac");
  }

  @Test
  void unknownPathIs404AndOtherMethodsAre405() throws Exception {
    HttpResponse<String> missing = get("/stats");
    assertThat(missing.statusCode()).isEqualTo(404);
    assertThat(missing.body()).contains("/stats").contains("/live, /ready, /metrics");

    HttpResponse<String> post =
        client.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/config"))
                .timeout(TIMEOUT)
                .POST(HttpRequest.BodyPublishers.ofString("{}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(post.statusCode()).isEqualTo(405);
    assertThat(post.headers().firstValue("allow")).hasValue("GET");
    assertThat(post.body()).contains("POST").contains("expected: GET");
  }

  @Test
  void aFailingEndpointIs500AndTheServerKeepsServing() throws Exception {
    state.failure = new IllegalStateException("config snapshot unavailable");
    HttpResponse<String> failed = get("/config");
    assertThat(failed.statusCode()).isEqualTo(500);
    assertThat(failed.body()).contains("/config failed").doesNotContain("snapshot unavailable");
    assertThat(get("/live").statusCode()).isEqualTo(200);
  }

  @Test
  void aTakenPortIsAClearError() {
    assertThatThrownBy(() -> AdminServer.start("127.0.0.1", server.port(), state, group))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("admin: cannot listen on 127.0.0.1:" + server.port());
  }

  @Test
  void servesOnAnEpollGroupToo() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(
        Epoll.isAvailable(), "epoll is not available on this machine");
    EventLoopGroup epoll = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    try (AdminServer onEpoll = AdminServer.start("127.0.0.1", 0, state, epoll)) {
      HttpResponse<String> live =
          client.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + onEpoll.port() + "/live"))
                  .timeout(TIMEOUT)
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(live.statusCode()).isEqualTo(200);
    } finally {
      epoll.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
  }
}
