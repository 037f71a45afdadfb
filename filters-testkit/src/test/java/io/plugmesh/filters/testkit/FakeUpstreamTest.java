package io.plugmesh.filters.testkit;

import static io.plugmesh.filters.testkit.UpstreamOutcome.fail;
import static io.plugmesh.filters.testkit.UpstreamOutcome.respond;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.plugmesh.filters.HeadersFilter;
import io.plugmesh.filters.ProxyResponse;
import io.plugmesh.filters.RequestDecision;
import io.plugmesh.filters.advanced.UpstreamException;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FakeUpstreamTest {

  private static FilterHarness through(FakeUpstream upstream) {
    return FilterHarness.builder()
        .add(
            "mutate",
            new HeadersFilter() {
              @Override
              public RequestDecision onRequest(io.plugmesh.filters.ProxyRequest request) {
                request.headers().set("x-seen", "1");
                request.setPath("/rewritten" + request.path());
                return RequestDecision.proceed();
              }

              @Override
              public void onResponse(
                  io.plugmesh.filters.ProxyRequest request, ProxyResponse response) {
                // A later change must not show in the upstream's snapshot.
                request.headers().set("x-seen", "changed");
                response.headers().set("x-filtered", "yes");
              }

              @Override
              public boolean hasResponseHook() {
                return true;
              }
            })
        .upstream(upstream)
        .build();
  }

  @Test
  void recordsWhatReachedItAsASnapshot() {
    FilterHarness harness = through(FakeUpstream.respond(201, "made"));
    TestResponse response = harness.send(TestRequest.put("/items/1", "body").header("a", "b"));

    assertThat(response.status()).isEqualTo(201);
    assertThat(response.header("x-filtered")).isEqualTo("yes");
    UpstreamRequest seen = harness.upstream().lastRequest();
    assertThat(seen.attempt()).isEqualTo(1);
    assertThat(seen.method()).isEqualTo("PUT");
    assertThat(seen.path()).isEqualTo("/rewritten/items/1");
    assertThat(seen.header("x-seen")).isEqualTo("1");
    assertThat(seen.headers().getAll("a")).containsExactly("b");
    assertThat(seen.bodyText()).isEqualTo("body");
    assertThat(seen.authority()).isEqualTo(TestRequest.DEFAULT_AUTHORITY);
    assertThat(seen.response().orElseThrow().bodyText()).isEqualTo("made");
    assertThat(seen.response().orElseThrow().discarded()).isFalse();
  }

  @Test
  void scriptIsUsedInOrderThenTheDefault() {
    FakeUpstream upstream =
        FakeUpstream.script(respond(503), fail(UpstreamException.Kind.RESET))
            .otherwise(respond(200, "fine").header("x-upstream", "v1"));
    FilterHarness harness = through(upstream);

    assertThat(harness.send(TestRequest.get("/")).status()).isEqualTo(503);
    assertThat(harness.send(TestRequest.get("/")).failure())
        .hasValueSatisfying(e -> assertThat(e).isInstanceOf(UpstreamException.class));
    TestResponse third = harness.send(TestRequest.get("/"));
    assertThat(third.bodyText()).isEqualTo("fine");
    assertThat(third.header("x-upstream")).isEqualTo("v1");
    assertThat(upstream.attempts()).isEqualTo(3);
    assertThat(upstream.remainingScript()).isZero();
  }

  @Test
  void exhaustedScriptFailsLoudly() {
    FilterHarness harness = through(FakeUpstream.script(respond(200)));
    harness.send(TestRequest.get("/"));

    TestResponse second = harness.send(TestRequest.get("/"));

    assertThat(second.status()).isEqualTo(500);
    assertThat(second.failure().orElseThrow())
        .hasMessageContaining("no outcome for attempt 2")
        .hasMessageContaining("scripted: 1");
  }

  @Test
  void answersAsAFunctionOfTheRequest() {
    FilterHarness harness =
        through(
            FakeUpstream.answering(
                request ->
                    request.path().endsWith("/a") ? respond(200, "a") : respond(404, "none")));

    assertThat(harness.send(TestRequest.get("/a")).bodyText()).isEqualTo("a");
    assertThat(harness.send(TestRequest.get("/b")).status()).isEqualTo(404);
  }

  @Test
  void outcomesCheckTheirArguments() {
    assertThatThrownBy(() -> respond(42)).hasMessage("status: 42 (expected: 100..599)");
    assertThatThrownBy(() -> fail(UpstreamException.Kind.RESET).header("a", "b"))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> FakeUpstream.script().lastRequest())
        .isInstanceOf(AssertionError.class);
  }

  @Test
  void clearRecordsForgetsAttempts() {
    FilterHarness harness = FilterHarness.of(new TenantFilterFactory(), Map.of("header", "t"));
    harness.send(TestRequest.get("/").header("t", "x"));
    harness.upstream().clearRecords();
    assertThat(harness.upstream().attempts()).isZero();
  }
}
