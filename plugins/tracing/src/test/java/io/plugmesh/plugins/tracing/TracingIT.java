package io.plugmesh.plugins.tracing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.opentelemetry.proto.trace.v1.Span.SpanKind;
import io.plugmesh.config.Limits;
import io.plugmesh.config.ProxySettings;
import io.plugmesh.kernel.testing.KernelFixture;
import io.plugmesh.kernel.testing.TestUpstream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two real kernels (a caller sidecar and a callee sidecar) loading the built tracing plugin jar, an
 * upstream app, and an in-test OTLP/gRPC collector: one request makes one trace of four spans.
 */
class TracingIT {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final Pattern TRACEPARENT =
      Pattern.compile("00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})");

  @TempDir static Path dir;

  private static OtlpReceiver collector;
  private static TestUpstream app;
  private static KernelFixture callee;
  private static KernelFixture caller;
  private static Path calleeAccessLog;

  static Path pluginsFolder() throws IOException {
    Path folder = Files.createDirectories(dir.resolve("plugins"));
    try (Stream<Path> jars = Files.list(Path.of("target"))) {
      Path jar =
          jars.filter(p -> p.getFileName().toString().matches("tracing-.*-plugin\\.jar"))
              .findFirst()
              .orElseThrow(() -> new AssertionError("run `package` first: no tracing plugin jar"));
      Files.copy(jar, folder.resolve(jar.getFileName()));
    }
    return folder;
  }

  static String tracing(String service, String endpoint) {
    return "{name: tracing, config: {serviceName: %s, exporter: {endpoint: \"%s\"}, batch: {scheduleDelay: 50ms}}}"
        .formatted(service, endpoint);
  }

  static ProxySettings settings(Path plugins, Path accessLog) {
    ProxySettings d = KernelFixture.settings(Limits.DEFAULTS);
    ProxySettings s =
        new ProxySettings(d.admin(), plugins, null, d.metricsPrefix(), d.accessLog(), d.limits());
    return accessLog == null ? s : KernelFixture.withJsonAccessLog(s, accessLog);
  }

  @BeforeAll
  static void start() throws Exception {
    collector = new OtlpReceiver();
    app = TestUpstream.http1("app");
    Path plugins = pluginsFolder();
    calleeAccessLog = dir.resolve("callee-access.log");
    callee =
        KernelFixture.start(
            settings(plugins, calleeAccessLog),
            """
            listeners:
              - {name: in, address: 127.0.0.1:0}
            clusters:
              - {name: app, endpoints: [{address: %s}]}
            routes:
              - name: retried
                match: {pathPrefix: /retry}
                cluster: app
                plugins:
                  - %s
                  - {name: retry-once, config: {retryPath: /retry/ok}}
              - name: reviews
                match: {pathPrefix: /}
                cluster: app
                plugins:
                  - %s
            """
                .formatted(
                    app.address(),
                    tracing("callee", collector.endpoint()),
                    tracing("callee", collector.endpoint())),
            new RetryOnceFactory());
    caller =
        KernelFixture.start(
            settings(plugins, null),
            """
            listeners:
              - {name: out, address: 127.0.0.1:0}
            clusters:
              - {name: callee, endpoints: [{address: 127.0.0.1:%d}]}
            routes:
              - name: to-callee
                match: {pathPrefix: /}
                cluster: callee
                plugins:
                  - %s
            """
                .formatted(callee.port("in"), tracing("caller", collector.endpoint())));
  }

  @AfterAll
  static void stop() throws Exception {
    if (caller != null) {
      caller.close();
    }
    if (callee != null) {
      callee.close();
    }
    if (app != null) {
      app.close();
    }
    if (collector != null) {
      collector.close();
    }
  }

  private static List<OtlpReceiver.Received> awaitTrace(String traceId, int spans) {
    await().atMost(WAIT).until(() -> collector.trace(traceId).size() >= spans);
    return collector.trace(traceId);
  }

  private static OtlpReceiver.Received one(
      List<OtlpReceiver.Received> spans, String service, SpanKind kind) {
    List<OtlpReceiver.Received> of =
        spans.stream().filter(s -> s.service().equals(service) && s.kind() == kind).toList();
    assertThat(of).as("%s %s in %s", service, kind, spans).hasSize(1);
    return of.get(0);
  }

  private static Matcher traceparent(String value) {
    assertThat(value).isNotNull();
    Matcher m = TRACEPARENT.matcher(value);
    assertThat(m.matches()).as(value).isTrue();
    return m;
  }

  /** Checks caller SERVER -> caller CLIENT -> callee SERVER -> callee CLIENT -> app. */
  private static void assertOneTrace(String traceId, String incomingParent, String appTraceparent) {
    List<OtlpReceiver.Received> trace = awaitTrace(traceId, 4);
    assertThat(trace).hasSize(4);
    OtlpReceiver.Received callerServer = one(trace, "caller", SpanKind.SPAN_KIND_SERVER);
    OtlpReceiver.Received callerClient = one(trace, "caller", SpanKind.SPAN_KIND_CLIENT);
    OtlpReceiver.Received calleeServer = one(trace, "callee", SpanKind.SPAN_KIND_SERVER);
    OtlpReceiver.Received calleeClient = one(trace, "callee", SpanKind.SPAN_KIND_CLIENT);
    assertThat(callerServer.parentId()).isEqualTo(incomingParent);
    assertThat(callerClient.parentId()).isEqualTo(callerServer.spanId());
    assertThat(calleeServer.parentId()).isEqualTo(callerClient.spanId());
    assertThat(calleeClient.parentId()).isEqualTo(calleeServer.spanId());
    assertThat(callerServer.span().getName()).isEqualTo("GET to-callee");
    assertThat(calleeServer.span().getName()).isEqualTo("GET reviews");
    assertThat(calleeServer.attribute("http.response.status_code")).isEqualTo("200");
    assertThat(calleeServer.attribute("http.route")).isEqualTo("reviews");
    assertThat(calleeClient.attribute("server.address")).isEqualTo("127.0.0.1");
    assertThat(callerClient.attribute("server.port"))
        .isEqualTo(Integer.toString(callee.port("in")));
    Matcher tp = traceparent(appTraceparent);
    assertThat(tp.group(1)).isEqualTo(traceId);
    assertThat(tp.group(2)).isEqualTo(calleeClient.spanId());
  }

  @Test
  void w3cCallerJoinsOneTraceAcrossTwoSidecars() throws Exception {
    String traceId = "0af7651916cd43dd8448eb211c80319c";
    String parent = "b7ad6b7169203331";
    HttpResponse<String> r =
        caller.get("out", "/reviews/7", "traceparent", "00-" + traceId + "-" + parent + "-01");
    assertThat(r.statusCode()).isEqualTo(200);
    TestUpstream.Seen seen = app.last();
    assertThat(seen.headers().get("traceparent")).hasSize(1);
    assertOneTrace(traceId, parent, seen.header("traceparent"));

    // The callee's access log carries the trace id the plugin set.
    await()
        .atMost(WAIT)
        .until(
            () ->
                Files.exists(calleeAccessLog)
                    && Files.readString(calleeAccessLog).contains(traceId));
    String line =
        Files.readAllLines(calleeAccessLog).stream()
            .filter(l -> l.contains("/reviews/7"))
            .findFirst()
            .orElseThrow();
    assertThat(line).contains("\"trace_id\":\"" + traceId + "\"");
  }

  @Test
  void b3MultiHeaderCallerJoinsTheTrace() throws Exception {
    String traceId = "463ac35c9f6413ad48485a3953bb6124";
    String parent = "0020000000000001";
    HttpResponse<String> r =
        caller.get(
            "out", "/b3multi", "X-B3-TraceId", traceId, "X-B3-SpanId", parent, "X-B3-Sampled", "1");
    assertThat(r.statusCode()).isEqualTo(200);
    TestUpstream.Seen seen = app.last();
    assertThat(seen.header("x-b3-traceid")).as("stale B3 never reaches the app").isNull();
    assertOneTrace(traceId, parent, seen.header("traceparent"));
  }

  @Test
  void b3SingleHeaderCallerJoinsTheTrace() throws Exception {
    String traceId = "80f198ee56343ba864fe8b2a57d3eff7";
    String parent = "e457b5a2e4d86bd1";
    HttpResponse<String> r = caller.get("out", "/b3single", "b3", traceId + "-" + parent + "-1");
    assertThat(r.statusCode()).isEqualTo(200);
    TestUpstream.Seen seen = app.last();
    assertThat(seen.header("b3")).isNull();
    assertOneTrace(traceId, parent, seen.header("traceparent"));
  }

  @Test
  void aRetryShowsTwoClientSpans() throws Exception {
    String traceId = "11111111111111111111111111111111";
    String parent = "2222222222222222";
    int before = app.seen().size();
    HttpResponse<String> r =
        callee.get(
            "in", "/retry/status/503", "traceparent", "00-" + traceId + "-" + parent + "-01");
    assertThat(r.statusCode()).isEqualTo(200);
    List<TestUpstream.Seen> attempts = app.seen().subList(before, app.seen().size());
    assertThat(attempts).hasSize(2);

    List<OtlpReceiver.Received> trace = awaitTrace(traceId, 3);
    OtlpReceiver.Received server = one(trace, "callee", SpanKind.SPAN_KIND_SERVER);
    List<OtlpReceiver.Received> clients =
        trace.stream().filter(s -> s.kind() == SpanKind.SPAN_KIND_CLIENT).toList();
    assertThat(clients).hasSize(2);
    assertThat(clients).allSatisfy(c -> assertThat(c.parentId()).isEqualTo(server.spanId()));
    OtlpReceiver.Received first =
        clients.stream()
            .filter(c -> "503".equals(c.attribute("http.response.status_code")))
            .findFirst()
            .orElseThrow();
    OtlpReceiver.Received second =
        clients.stream()
            .filter(c -> "200".equals(c.attribute("http.response.status_code")))
            .findFirst()
            .orElseThrow();
    assertThat(first.attribute("error.type")).isEqualTo("503");
    assertThat(second.attribute("http.request.resend_count")).isEqualTo("1");
    assertThat(traceparent(attempts.get(0).header("traceparent")).group(2))
        .isEqualTo(first.spanId());
    assertThat(traceparent(attempts.get(1).header("traceparent")).group(2))
        .isEqualTo(second.spanId());
    assertThat(server.attribute("http.response.status_code")).isEqualTo("200");
    assertThat(callee.admin("/metrics"))
        .containsPattern(
            "mesh_upstream_retries_total\\{destination_cluster=\"app\",route=\"retried\",?\\} 1\\.0");
  }

  @Test
  void aCollectorThatIsDownNeverHoldsUpRequests() throws Exception {
    // One collector accepts connections and never answers; another refuses them.
    AtomicInteger accepted = new AtomicInteger();
    List<Socket> held = new ArrayList<>();
    try (ServerSocket blackhole = new ServerSocket()) {
      blackhole.bind(new InetSocketAddress("127.0.0.1", 0));
      Thread acceptor =
          new Thread(
              () -> {
                while (!blackhole.isClosed()) {
                  try {
                    Socket s = blackhole.accept();
                    accepted.incrementAndGet();
                    synchronized (held) {
                      held.add(s);
                    }
                  } catch (IOException e) {
                    return;
                  }
                }
              },
              "blackhole-collector");
      acceptor.setDaemon(true);
      acceptor.start();
      int refused;
      try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
        refused = s.getLocalPort();
      }
      // A route timeout far below the export timeout: a request waiting on an export gets 504.
      try (KernelFixture proxy =
          KernelFixture.start(
              settings(pluginsFolder2(), null),
              """
              listeners:
                - {name: main, address: 127.0.0.1:0}
              clusters:
                - {name: app, endpoints: [{address: %s}]}
              routes:
                - name: hung
                  match: {pathPrefix: /hung}
                  cluster: app
                  timeout: 1s
                  plugins:
                    - {name: tracing, config: {exporter: {endpoint: "http://127.0.0.1:%d", timeout: 30s}, batch: {maxQueueSize: 4, maxExportBatchSize: 2, scheduleDelay: 10ms}}}
                - name: refused
                  match: {pathPrefix: /refused}
                  cluster: app
                  timeout: 1s
                  plugins:
                    - {name: tracing, config: {exporter: {protocol: http/protobuf, endpoint: "http://127.0.0.1:%d/v1/traces", timeout: 30s}, batch: {maxQueueSize: 4, maxExportBatchSize: 2, scheduleDelay: 10ms}}}
              """
                  .formatted(app.address(), blackhole.getLocalPort(), refused))) {
        for (int i = 0; i < 40; i++) {
          assertThat(proxy.get("main", "/hung/" + i).statusCode()).isEqualTo(200);
          assertThat(proxy.get("main", "/refused/" + i).statusCode()).isEqualTo(200);
        }
        assertThat(accepted.get()).as("the exporter tried the hung collector").isPositive();
      }
    } finally {
      synchronized (held) {
        for (Socket s : held) {
          s.close();
        }
      }
    }
  }

  private static Path pluginsFolder2() throws IOException {
    return dir.resolve("plugins");
  }
}
