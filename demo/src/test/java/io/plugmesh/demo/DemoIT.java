package io.plugmesh.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Starts the demo on ephemeral ports and runs each printed scenario against it. */
class DemoIT {
  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  private static final int MAX_CANARY_REQUESTS = 300;
  private static final long ACCESS_LOG_WAIT_MILLIS = 10_000;

  @TempDir static Path temp;

  private static Demo demo;
  private static HttpClient client;
  private static Path accessLog;

  @BeforeAll
  static void startDemo() throws Exception {
    accessLog = temp.resolve("access.log");
    Path plugins = Path.of(System.getProperty(Demo.PLUGINS_PROPERTY, "target/plugins"));
    demo = Demo.start(new Demo.Options(plugins, DemoPorts.ephemeral(), accessLog));
    client =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(TIMEOUT)
            .build();
  }

  @AfterAll
  static void stopDemo() {
    if (demo != null) {
      demo.close();
    }
  }

  private static HttpResponse<String> get(String path, String... headers) throws Exception {
    return get(demo.ports().outbound(), path, headers);
  }

  private static HttpResponse<String> get(int port, String path, String... headers)
      throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(TIMEOUT);
    if (headers.length > 0) {
      request.headers(headers);
    }
    return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String bearer(String token) {
    return "Bearer " + token;
  }

  @Test
  void withoutTokenIs401() throws Exception {
    HttpResponse<String> response = get("/reviews/1");
    assertThat(response.statusCode()).isEqualTo(401);
    assertThat(response.headers().firstValue("www-authenticate")).hasValue("Bearer");
  }

  @Test
  void readerTokenIs200AndTheServiceSeesTheUser() throws Exception {
    HttpResponse<String> response = get("/reviews/1", "authorization", bearer(demo.readerToken()));
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).matches("(?s)reviews-v[12] answered GET /reviews/1\n.*");
    assertThat(response.body()).contains("x-demo-user: alice");
  }

  @Test
  void canarySendsTrafficToBothVersions() throws Exception {
    Set<String> seen = new HashSet<>();
    int v1 = 0;
    int requests = 0;
    while (requests < MAX_CANARY_REQUESTS && (seen.size() < 2 || requests < 50)) {
      HttpResponse<String> response =
          get("/reviews/" + requests, "authorization", bearer(demo.readerToken()));
      assertThat(response.statusCode()).isEqualTo(200);
      String service = response.headers().firstValue("x-demo-service").orElseThrow();
      seen.add(service);
      v1 += service.equals("reviews-v1") ? 1 : 0;
      requests++;
    }
    assertThat(seen).containsExactlyInAnyOrder("reviews-v1", "reviews-v2");
    assertThat(v1).as("reviews-v1 answers of %d", requests).isGreaterThan(requests / 2);
  }

  @Test
  void tokenWithoutTheScopeIs403() throws Exception {
    HttpResponse<String> response = get("/reviews/1", "authorization", bearer(demo.guestToken()));
    assertThat(response.statusCode()).isEqualTo(403);
    assertThat(response.body()).contains("rbac");
  }

  @Test
  void freePlanIsRateLimited() throws Exception {
    List<Integer> statuses = new ArrayList<>();
    HttpResponse<String> last = null;
    for (int i = 0; i < DemoConfig.FREE_PLAN_PER_MINUTE + 2; i++) {
      last = get("/reviews/1", "authorization", bearer(demo.readerToken()), "x-plan", "free");
      statuses.add(last.statusCode());
    }
    assertThat(statuses.subList(0, DemoConfig.FREE_PLAN_PER_MINUTE)).containsOnly(200);
    assertThat(statuses.subList(DemoConfig.FREE_PLAN_PER_MINUTE, statuses.size()))
        .containsOnly(429);
    assertThat(last.headers().firstValue("retry-after")).isPresent();
    // Callers without the plan header keep their own, larger budget.
    assertThat(get("/reviews/1", "authorization", bearer(demo.readerToken())).statusCode())
        .isEqualTo(200);
  }

  @Test
  void faultHeaderInjectsAnAbort() throws Exception {
    HttpResponse<String> response =
        get("/reviews/1", "authorization", bearer(demo.readerToken()), "x-fault", "on");
    assertThat(response.statusCode()).isEqualTo(503);
    assertThat(response.body()).contains("fault filter abort");
    assertThat(response.headers().firstValue("x-demo-service")).isEmpty();
  }

  @Test
  void flakyServiceAnswersAfterARetry() throws Exception {
    HttpResponse<String> response = get("/ratings/7", "authorization", bearer(demo.guestToken()));
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).startsWith("ratings answered GET /ratings/7 on attempt 2\n");
  }

  @Test
  void traceContextReachesTheServiceAndTheAccessLog() throws Exception {
    String traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    HttpResponse<String> response =
        get(
            "/reviews/1",
            "authorization",
            bearer(demo.readerToken()),
            "traceparent",
            "00-" + traceId + "-00f067aa0ba902b7-01");
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).contains("traceparent: 00-" + traceId + "-");
    long deadline = System.currentTimeMillis() + ACCESS_LOG_WAIT_MILLIS;
    long lines = 0;
    while (System.currentTimeMillis() < deadline) {
      lines =
          Files.readAllLines(accessLog, StandardCharsets.UTF_8).stream()
              .filter(l -> l.contains("trace_id=" + traceId))
              .count();
      if (lines >= 2) {
        break;
      }
      Thread.sleep(50);
    }
    assertThat(lines).as("access log lines of both sidecars with the trace id").isEqualTo(2);
  }

  @Test
  void aRequestWithoutTraceContextStartsATraceTheServiceSees() throws Exception {
    HttpResponse<String> response = get("/reviews/2", "authorization", bearer(demo.readerToken()));
    assertThat(response.statusCode()).isEqualTo(200);
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("traceparent: 00-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}")
            .matcher(response.body());
    assertThat(m.find()).as("the service received a traceparent: %s", response.body()).isTrue();
    assertThat(m.group(1)).isNotEqualTo("0".repeat(32));
  }

  @Test
  void metricsCountEveryPluginsDecisions() throws Exception {
    get("/reviews/1", "authorization", bearer(demo.readerToken()));
    get("/ratings/1", "authorization", bearer(demo.guestToken()));
    HttpResponse<String> metrics = get(demo.ports().inboundAdmin(), "/metrics");
    assertThat(metrics.statusCode()).isEqualTo(200);
    for (String plugin : List.of("tracing", "authn-jwt", "rbac", "ratelimit", "fault", "retry")) {
      assertThat(metrics.body())
          .as("decisions of %s", plugin)
          .containsPattern("mesh_plugin_decisions_total\\{[^}]*plugin=\"" + plugin + "\"");
    }
    assertThat(metrics.body()).containsPattern("(?m)^mesh_upstream_retries_total\\{");
  }

  @Test
  void controlServiceReportsBothSidecarsToTheAdmin() throws Exception {
    int port = demo.ports().controlHttp();
    assertThat(get(port, "/v1/status").statusCode()).isEqualTo(401);
    HttpResponse<String> status =
        get(port, "/v1/status", "authorization", bearer(demo.adminToken()));
    assertThat(status.statusCode()).isEqualTo(200);
    assertThat(status.body()).contains("\"frontend\"").contains("\"reviews\"");
  }

  @Test
  void takenPortsAreNamed() {
    assertThatThrownBy(() -> demo.ports().requireFree())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("ports in use: 127.0.0.1:" + demo.ports().controlGrpc())
        .hasMessageContaining("(frontend sidecar outbound listener)");
  }

  @Test
  void printedCommandsCarryTheTokensAndPorts() {
    String commands = demo.commands();
    assertThat(commands)
        .contains(demo.readerToken())
        .contains(demo.guestToken())
        .contains(demo.adminToken())
        .contains("http://127.0.0.1:" + demo.ports().outbound() + "/reviews/1")
        .contains("grep mesh_plugin_decisions_total");
  }

  static boolean accepts(int port) throws IOException {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
      return true;
    } catch (ConnectException e) {
      return false;
    }
  }
}
