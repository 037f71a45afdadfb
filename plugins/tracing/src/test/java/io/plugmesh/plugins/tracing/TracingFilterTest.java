package io.plugmesh.plugins.tracing;

import static io.plugmesh.filters.testkit.UpstreamOutcome.fail;
import static io.plugmesh.filters.testkit.UpstreamOutcome.respond;
import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.semconv.ErrorAttributes;
import io.opentelemetry.semconv.HttpAttributes;
import io.opentelemetry.semconv.ServerAttributes;
import io.plugmesh.filters.ConfigNode;
import io.plugmesh.filters.ContextKeys;
import io.plugmesh.filters.Filter;
import io.plugmesh.filters.ProxyResponse;
import io.plugmesh.filters.advanced.FilterMode;
import io.plugmesh.filters.advanced.ResponseFlag;
import io.plugmesh.filters.advanced.TraceContext;
import io.plugmesh.filters.advanced.UpstreamException;
import io.plugmesh.filters.testkit.FakeUpstream;
import io.plugmesh.filters.testkit.FilterHarness;
import io.plugmesh.filters.testkit.TestRequest;
import io.plugmesh.filters.testkit.TestResponse;
import io.plugmesh.filters.testkit.UpstreamRequest;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class TracingFilterTest {
  private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
  private static final String PARENT_ID = "00f067aa0ba902b7";
  private static final Pattern TRACEPARENT =
      Pattern.compile("00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})");

  private RecordingExporter exporter;
  private final TracingFilterFactory factory =
      new TracingFilterFactory(
          export -> {
            exporter = new RecordingExporter();
            return exporter;
          });
  private FilterHarness harness;
  private Map<String, Object> config;

  @AfterEach
  void close() {
    if (harness != null) {
      harness.close();
    }
  }

  private FilterHarness harness(Map<String, Object> config, FakeUpstream upstream) {
    return harness(config, upstream, null);
  }

  private FilterHarness harness(
      Map<String, Object> config, FakeUpstream upstream, Filter retryFilter) {
    this.config = config;
    FilterHarness.Builder b = FilterHarness.builder().route("reviews").add(factory, config);
    if (retryFilter != null) {
      b.add("retry", retryFilter, FilterMode.ENFORCE, 1024);
    }
    harness = b.upstream(upstream).build();
    return harness;
  }

  private static Map<String, Object> cfg(Object... kv) {
    Map<String, Object> m = new HashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }

  private List<SpanData> spans() {
    String key = TracingConfig.parse(ConfigNode.of(config)).export().sharedKey();
    TracingSdk sdk =
        harness
            .services("tracing")
            .shared(
                key,
                TracingSdk.class,
                () -> {
                  throw new AssertionError("no SDK was created");
                });
    assertThat(sdk.forceFlush().join(5, TimeUnit.SECONDS).isSuccess()).isTrue();
    return exporter.spans();
  }

  private static SpanData only(List<SpanData> spans, SpanKind kind) {
    List<SpanData> of = spans.stream().filter(s -> s.getKind() == kind).toList();
    assertThat(of).as("%s spans in %s", kind, spans).hasSize(1);
    return of.get(0);
  }

  private static Matcher traceparent(UpstreamRequest seen) {
    assertThat(seen.headers().getAll("traceparent")).hasSize(1);
    Matcher m = TRACEPARENT.matcher(seen.header("traceparent"));
    assertThat(m.matches()).as(seen.header("traceparent")).isTrue();
    return m;
  }

  private static boolean sampled(Matcher traceparent) {
    return (Integer.parseInt(traceparent.group(3), 16) & 1) == 1;
  }

  @Test
  void joinsW3cTraceAndPropagatesTheClientSpan() {
    harness(cfg(), FakeUpstream.respond(200, "ok"));
    TestResponse response =
        harness.send(
            TestRequest.get("/reviews/1?x=2")
                .header("traceparent", "00-" + TRACE_ID + "-" + PARENT_ID + "-01")
                .header("tracestate", "vendor=abc")
                .header("user-agent", "curl/8"));
    assertThat(response.status()).as("%s %s", response, response.failure()).isEqualTo(200);

    List<SpanData> spans = spans();
    assertThat(spans).hasSize(2);
    SpanData server = only(spans, SpanKind.SERVER);
    SpanData client = only(spans, SpanKind.CLIENT);
    assertThat(server.getTraceId()).isEqualTo(TRACE_ID);
    assertThat(server.getParentSpanId()).isEqualTo(PARENT_ID);
    assertThat(server.getParentSpanContext().isRemote()).isTrue();
    assertThat(server.getName()).isEqualTo("GET reviews");
    assertThat(server.getAttributes().get(HttpAttributes.HTTP_REQUEST_METHOD)).isEqualTo("GET");
    assertThat(server.getAttributes().get(HttpAttributes.HTTP_ROUTE)).isEqualTo("reviews");
    assertThat(server.getAttributes().get(HttpAttributes.HTTP_RESPONSE_STATUS_CODE))
        .isEqualTo(200L);
    assertThat(server.getAttributes().get(AttributeKey.stringKey("url.path")))
        .isEqualTo("/reviews/1");
    assertThat(server.getAttributes().get(AttributeKey.stringKey("user_agent.original")))
        .isEqualTo("curl/8");
    assertThat(server.getAttributes().get(ServerAttributes.SERVER_ADDRESS)).isEqualTo("test.local");
    assertThat(server.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);

    assertThat(client.getTraceId()).isEqualTo(TRACE_ID);
    assertThat(client.getParentSpanId()).isEqualTo(server.getSpanId());
    assertThat(client.getName()).isEqualTo("GET reviews");
    assertThat(client.getAttributes().get(ServerAttributes.SERVER_ADDRESS))
        .isEqualTo("upstream.test");
    assertThat(client.getAttributes().get(ServerAttributes.SERVER_PORT)).isEqualTo(80L);
    assertThat(client.getAttributes().get(HttpAttributes.HTTP_RESPONSE_STATUS_CODE))
        .isEqualTo(200L);
    assertThat(client.getAttributes().get(HttpAttributes.HTTP_REQUEST_RESEND_COUNT)).isNull();
    // The server span encloses the client span.
    assertThat(server.getEndEpochNanos()).isGreaterThanOrEqualTo(client.getEndEpochNanos());

    UpstreamRequest seen = harness.upstream().lastRequest();
    Matcher tp = traceparent(seen);
    assertThat(tp.group(1)).isEqualTo(TRACE_ID);
    assertThat(tp.group(2)).isEqualTo(client.getSpanId());
    assertThat(sampled(tp)).isTrue();
    assertThat(seen.header("tracestate")).isEqualTo("vendor=abc");

    TraceContext trace = response.context().get(ContextKeys.TRACE).orElseThrow();
    assertThat(trace.traceId()).isEqualTo(TRACE_ID);
    assertThat(trace.spanId()).isEqualTo(server.getSpanId());
    assertThat(trace.sampled()).isTrue();
    assertThat(harness.metrics().count("spans", "kind", "server", "sampled", "true")).isEqualTo(1);
    assertThat(harness.metrics().count("spans", "kind", "client", "sampled", "true")).isEqualTo(1);
  }

  @Test
  void joinsB3SingleHeaderTrace() {
    harness(cfg(), FakeUpstream.respond(200));
    harness.send(TestRequest.get("/").header("b3", TRACE_ID + "-" + PARENT_ID + "-1"));
    SpanData server = only(spans(), SpanKind.SERVER);
    assertThat(server.getTraceId()).isEqualTo(TRACE_ID);
    assertThat(server.getParentSpanId()).isEqualTo(PARENT_ID);
    UpstreamRequest seen = harness.upstream().lastRequest();
    assertThat(traceparent(seen).group(1)).isEqualTo(TRACE_ID);
    assertThat(seen.header("b3")).as("incoming B3 is not forwarded stale").isNull();
  }

  @Test
  void joinsB3MultiHeaderTraceAndInjectsB3WhenAsked() {
    harness(cfg("inject", List.of("b3multi", "b3")), FakeUpstream.respond(200));
    harness.send(
        TestRequest.get("/")
            .header("X-B3-TraceId", TRACE_ID)
            .header("X-B3-SpanId", PARENT_ID)
            .header("X-B3-Sampled", "1"));
    List<SpanData> spans = spans();
    SpanData server = only(spans, SpanKind.SERVER);
    SpanData client = only(spans, SpanKind.CLIENT);
    assertThat(server.getTraceId()).isEqualTo(TRACE_ID);
    assertThat(server.getParentSpanId()).isEqualTo(PARENT_ID);
    UpstreamRequest seen = harness.upstream().lastRequest();
    assertThat(seen.header("traceparent")).isNull();
    assertThat(seen.headers().getAll("x-b3-traceid")).containsExactly(TRACE_ID);
    assertThat(seen.headers().getAll("x-b3-spanid")).containsExactly(client.getSpanId());
    assertThat(seen.header("b3")).isEqualTo(TRACE_ID + "-" + client.getSpanId() + "-1");
  }

  @Test
  void malformedTraceHeadersStartANewTraceAndNeverReachTheUpstream() {
    harness(cfg(), FakeUpstream.respond(200));
    TestResponse response =
        harness.send(
            TestRequest.get("/")
                .header("traceparent", "00-zzzz-not-a-trace")
                .header("tracestate", "\u0001bad")
                .header("b3", "garbage")
                .header("X-B3-TraceId", "xyz"));
    assertThat(response.status()).isEqualTo(200);
    SpanData server = only(spans(), SpanKind.SERVER);
    assertThat(server.getParentSpanContext().isValid()).isFalse();
    UpstreamRequest seen = harness.upstream().lastRequest();
    assertThat(traceparent(seen).group(1)).isEqualTo(server.getTraceId());
    assertThat(seen.header("b3")).isNull();
    assertThat(seen.header("x-b3-traceid")).isNull();
    assertThat(seen.header("tracestate")).isNull();
  }

  @Test
  void duplicatedTraceparentIsIgnoredAndSentOnce() {
    harness(cfg(), FakeUpstream.respond(200));
    harness.send(
        TestRequest.get("/")
            .header("traceparent", "00-" + TRACE_ID + "-" + PARENT_ID + "-01")
            .header("traceparent", "00-" + "1".repeat(32) + "-" + "2".repeat(16) + "-01"));
    SpanData server = only(spans(), SpanKind.SERVER);
    assertThat(server.getTraceId()).isNotIn(TRACE_ID, "1".repeat(32));
    Matcher tp = traceparent(harness.upstream().lastRequest());
    assertThat(tp.group(1)).isEqualTo(server.getTraceId());
  }

  @Test
  void eachRetryGetsItsOwnClientSpanAndTraceparent() {
    Filter retry =
        (request, chain) ->
            chain
                .proceed(request)
                .thenCompose(
                    first -> {
                      if (first.status() != 503) {
                        return CompletableFuture.completedFuture(first);
                      }
                      first.discard();
                      return chain.proceed(request);
                    });
    harness(cfg(), FakeUpstream.script(respond(503), respond(200, "ok")), retry);
    TestResponse response = harness.send(TestRequest.get("/"));
    assertThat(response.status()).isEqualTo(200);

    List<SpanData> spans = spans();
    SpanData server = only(spans, SpanKind.SERVER);
    List<SpanData> clients = spans.stream().filter(s -> s.getKind() == SpanKind.CLIENT).toList();
    assertThat(clients).hasSize(2);
    assertThat(clients)
        .allSatisfy(c -> assertThat(c.getParentSpanId()).isEqualTo(server.getSpanId()));
    SpanData first = clients.get(0);
    SpanData second = clients.get(1);
    assertThat(first.getAttributes().get(HttpAttributes.HTTP_RESPONSE_STATUS_CODE)).isEqualTo(503L);
    assertThat(first.getAttributes().get(ErrorAttributes.ERROR_TYPE)).isEqualTo("503");
    assertThat(first.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
    assertThat(second.getAttributes().get(HttpAttributes.HTTP_REQUEST_RESEND_COUNT)).isEqualTo(1L);
    assertThat(second.getAttributes().get(HttpAttributes.HTTP_RESPONSE_STATUS_CODE))
        .isEqualTo(200L);

    List<UpstreamRequest> seen = harness.upstream().requests();
    assertThat(traceparent(seen.get(0)).group(2)).isEqualTo(first.getSpanId());
    assertThat(traceparent(seen.get(1)).group(2)).isEqualTo(second.getSpanId());
    assertThat(server.getAttributes().get(HttpAttributes.HTTP_RESPONSE_STATUS_CODE))
        .isEqualTo(200L);
  }

  @Test
  void upstreamFailureMarksBothSpansWithErrorType() {
    harness(cfg(), FakeUpstream.always(fail(UpstreamException.Kind.CONNECT_FAILURE)));
    TestResponse response = harness.send(TestRequest.get("/"));
    assertThat(response.status()).isEqualTo(503);
    List<SpanData> spans = spans();
    SpanData server = only(spans, SpanKind.SERVER);
    SpanData client = only(spans, SpanKind.CLIENT);
    assertThat(client.getAttributes().get(ErrorAttributes.ERROR_TYPE)).isEqualTo("connect_failure");
    assertThat(client.getAttributes().get(HttpAttributes.HTTP_RESPONSE_STATUS_CODE)).isNull();
    assertThat(server.getAttributes().get(ErrorAttributes.ERROR_TYPE)).isEqualTo("connect_failure");
    assertThat(server.getAttributes().get(HttpAttributes.HTTP_RESPONSE_STATUS_CODE))
        .isEqualTo(503L);
    assertThat(server.getAttributes().get(TracingFilter.RESPONSE_FLAGS)).isEqualTo("UF");
    assertThat(server.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
  }

  @Test
  void aLaterPluginsAnswerCarriesItsFlags() {
    Filter limiter =
        (request, chain) -> {
          request.context().addResponseFlag(ResponseFlag.RATE_LIMITED);
          return CompletableFuture.completedFuture(ProxyResponse.of(429, "slow down\n"));
        };
    this.config = cfg();
    harness =
        FilterHarness.builder()
            .route("reviews")
            .add(factory, config)
            .add("limiter", limiter)
            .build();
    assertThat(harness.send(TestRequest.get("/")).status()).isEqualTo(429);
    List<SpanData> spans = spans();
    SpanData server = only(spans, SpanKind.SERVER);
    assertThat(spans).hasSize(1);
    assertThat(server.getAttributes().get(TracingFilter.RESPONSE_FLAGS)).isEqualTo("RL");
    assertThat(server.getAttributes().get(HttpAttributes.HTTP_RESPONSE_STATUS_CODE))
        .isEqualTo(429L);
    assertThat(server.getAttributes().get(ErrorAttributes.ERROR_TYPE)).isNull();
  }

  @Test
  void exportOffStillCreatesIdsAndPropagates() {
    try (FilterHarness h =
        FilterHarness.of(
            new TracingFilterFactory(), Map.of("exporter", Map.of("protocol", "none")))) {
      TestResponse response = h.send(TestRequest.get("/"));
      TraceContext trace = response.context().get(ContextKeys.TRACE).orElseThrow();
      assertThat(trace.traceId()).matches("[0-9a-f]{32}").isNotEqualTo("0".repeat(32));
      Matcher tp = traceparent(h.upstream().lastRequest());
      assertThat(tp.group(1)).isEqualTo(trace.traceId());
    }
  }

  @Test
  void ratioZeroRecordsNothingButStillPropagatesIds() {
    harness(cfg("sampling", Map.of("ratio", 0)), FakeUpstream.respond(200));
    TestResponse response = harness.send(TestRequest.get("/"));
    assertThat(spans()).isEmpty();
    TraceContext trace = response.context().get(ContextKeys.TRACE).orElseThrow();
    assertThat(trace.sampled()).isFalse();
    Matcher tp = traceparent(harness.upstream().lastRequest());
    assertThat(tp.group(1)).isEqualTo(trace.traceId());
    assertThat(sampled(tp)).isFalse();
    assertThat(harness.metrics().count("spans", "kind", "server", "sampled", "false")).isEqualTo(1);
  }

  @Test
  void forceHeaderRecordsDespiteRatioZero() {
    harness(cfg("sampling", Map.of("ratio", 0)), FakeUpstream.respond(200));
    harness.send(TestRequest.get("/").header("x-plugmesh-force-trace", "1"));
    harness.send(TestRequest.get("/").header("x-plugmesh-force-trace", "false"));
    List<SpanData> spans = spans();
    assertThat(spans).hasSize(2); // server and client of the forced request only
    assertThat(sampled(traceparent(harness.upstream().requests().get(0)))).isTrue();
    assertThat(sampled(traceparent(harness.upstream().requests().get(1)))).isFalse();
  }

  @Test
  void parentDecisionWinsUnlessTheRouteIgnoresIt() {
    harness(cfg("sampling", Map.of("ratio", 0)), FakeUpstream.respond(200));
    harness.send(
        TestRequest.get("/").header("traceparent", "00-" + TRACE_ID + "-" + PARENT_ID + "-01"));
    assertThat(spans()).hasSize(2);
    harness.close();

    harness(cfg("sampling", Map.of("ratio", 1, "respectParent", false)), FakeUpstream.respond(200));
    harness.send(
        TestRequest.get("/").header("traceparent", "00-" + TRACE_ID + "-" + PARENT_ID + "-00"));
    List<SpanData> spans = spans();
    assertThat(spans).hasSize(2);
    assertThat(only(spans, SpanKind.SERVER).getTraceId()).isEqualTo(TRACE_ID);

    harness(cfg("sampling", Map.of("ratio", 1)), FakeUpstream.respond(200));
    harness.send(
        TestRequest.get("/").header("traceparent", "00-" + TRACE_ID + "-" + PARENT_ID + "-00"));
    assertThat(spans()).as("an unsampled parent is respected").isEmpty();
  }

  @Test
  void routesWithEqualExportSettingsShareOneSdkAndUnloadClosesIt() {
    FilterHarness h1 = harness(cfg(), FakeUpstream.respond(200));
    String key = TracingConfig.parse(ConfigNode.of(cfg())).export().sharedKey();
    TracingSdk first = h1.services("tracing").shared(key, TracingSdk.class, () -> null);
    factory.create(TracingConfig.parse(ConfigNode.of(cfg())), h1.services("tracing"));
    assertThat(h1.services("tracing").shared(key, TracingSdk.class, () -> null)).isSameAs(first);
    h1.send(TestRequest.get("/"));
    RecordingExporter used = exporter;
    assertThat(used.spans()).as("not exported before the schedule delay").isEmpty();
    h1.close();
    harness = null;
    // Unloading shut the SDK down: queued spans were exported, later ones are not.
    assertThat(used.shutdowns()).isEqualTo(1);
    assertThat(used.spans()).hasSize(2);
    first.tracer().spanBuilder("after").startSpan().end();
    assertThat(used.spans()).hasSize(2);
  }
}
