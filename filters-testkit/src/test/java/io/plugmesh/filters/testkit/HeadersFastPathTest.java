package io.plugmesh.filters.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.plugmesh.filters.FilterChain;
import io.plugmesh.filters.HeadersFilter;
import io.plugmesh.filters.ProxyRequest;
import io.plugmesh.filters.ProxyResponse;
import io.plugmesh.filters.RequestDecision;
import io.plugmesh.filters.advanced.FilterMode;
import io.plugmesh.filters.testkit.TestResponse.Decision;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.Test;

/**
 * The chain runner runs headers filters that keep the default {@code filter} method on a fast path;
 * these pin that it keeps the same rules as the default method.
 */
class HeadersFastPathTest {

  /** A headers filter with a response hook that records what it saw and may throw. */
  private static final class Hooked implements HeadersFilter {
    final List<Integer> seen = new ArrayList<>();
    final boolean throwInHook;

    Hooked(boolean throwInHook) {
      this.throwInHook = throwInHook;
    }

    @Override
    public RequestDecision onRequest(ProxyRequest request) {
      return RequestDecision.proceed();
    }

    @Override
    public void onResponse(ProxyRequest request, ProxyResponse response) {
      seen.add(response.status());
      if (throwInHook) {
        throw new IllegalStateException("hook broke");
      }
      response.headers().set("x-hooked", "yes");
    }

    @Override
    public boolean hasResponseHook() {
      return true;
    }
  }

  @Test
  void continuingFilterWithoutHookPassesTheUpstreamResponseAndCountsContinue() {
    FilterHarness harness =
        FilterHarness.builder()
            .add("first", (HeadersFilter) request -> RequestDecision.proceed())
            .add("second", (HeadersFilter) request -> RequestDecision.proceed())
            .upstream(FakeUpstream.respond(203, "up"))
            .build();
    TestResponse response = harness.send(TestRequest.get("/"));

    assertThat(response.status()).isEqualTo(203);
    assertThat(response.fromUpstream()).isTrue();
    assertThat(response.decision("first")).isEqualTo(Decision.CONTINUE);
    assertThat(response.decision("second")).isEqualTo(Decision.CONTINUE);
    assertThat(harness.upstream().attempts()).isEqualTo(1);
  }

  @Test
  void responseHookSeesAndChangesTheResponse() {
    Hooked hooked = new Hooked(false);
    FilterHarness harness =
        FilterHarness.builder()
            .add("hooked", hooked)
            .upstream(FakeUpstream.respond(200, "ok"))
            .build();
    TestResponse response = harness.send(TestRequest.get("/"));

    assertThat(response.status()).isEqualTo(200);
    assertThat(response.header("x-hooked")).isEqualTo("yes");
    assertThat(hooked.seen).containsExactly(200);
    assertThat(response.decision("hooked")).isEqualTo(Decision.CONTINUE);
  }

  @Test
  void aThrowingResponseHookIsThatFiltersError() {
    FilterHarness harness =
        FilterHarness.builder()
            .add("hooked", new Hooked(true))
            .upstream(FakeUpstream.respond(200, "ok"))
            .build();
    TestResponse response = harness.send(TestRequest.get("/"));

    assertThat(response.status()).isEqualTo(500);
    assertThat(response.failedPlugin()).hasValue("hooked");
    assertThat(response.failure().orElseThrow()).hasMessageContaining("hook broke");
    assertThat(response.decision("hooked")).isEqualTo(Decision.ERROR);
  }

  @Test
  void nullDecisionIsAnError() {
    FilterHarness harness =
        FilterHarness.builder().add("nothing", (HeadersFilter) request -> null).build();
    TestResponse response = harness.send(TestRequest.get("/"));

    assertThat(response.status()).isEqualTo(500);
    assertThat(response.failedPlugin()).hasValue("nothing");
    assertThat(response.failure().orElseThrow()).hasMessageContaining("returned null");
    assertThat(response.decision("nothing")).isEqualTo(Decision.ERROR);
    assertThat(harness.upstream().attempts()).isZero();
  }

  @Test
  void throwingOnRequestIsAnError() {
    FilterHarness harness =
        FilterHarness.builder()
            .add(
                "thrower",
                (HeadersFilter)
                    request -> {
                      throw new IllegalArgumentException("bad input");
                    })
            .build();
    TestResponse response = harness.send(TestRequest.get("/"));

    assertThat(response.status()).isEqualTo(500);
    assertThat(response.failedPlugin()).hasValue("thrower");
    assertThat(response.failure().orElseThrow()).hasMessageContaining("bad input");
    assertThat(harness.upstream().attempts()).isZero();
  }

  @Test
  void shadowAnswerIsDroppedAndTheHookDoesNotRun() {
    List<Integer> hookCalls = new ArrayList<>();
    HeadersFilter denyWithHook =
        new HeadersFilter() {
          @Override
          public RequestDecision onRequest(ProxyRequest request) {
            return RequestDecision.respond(ProxyResponse.of(403, "no\n"));
          }

          @Override
          public void onResponse(ProxyRequest request, ProxyResponse response) {
            hookCalls.add(response.status());
          }

          @Override
          public boolean hasResponseHook() {
            return true;
          }
        };
    FilterHarness harness =
        FilterHarness.builder()
            .add("deny", denyWithHook, FilterMode.SHADOW)
            .upstream(FakeUpstream.respond(200, "ok"))
            .build();
    TestResponse response = harness.send(TestRequest.get("/"));

    assertThat(response.status()).isEqualTo(200);
    assertThat(response.decision("deny")).isEqualTo(Decision.SHADOW);
    assertThat(hookCalls).isEmpty();
    assertThat(harness.upstream().attempts()).isEqualTo(1);
  }

  @Test
  void aHeadersFilterThatOverridesFilterRunsItsOwnMethod() {
    HeadersFilter overriding =
        new HeadersFilter() {
          @Override
          public RequestDecision onRequest(ProxyRequest request) {
            return RequestDecision.proceed();
          }

          @Override
          public CompletionStage<ProxyResponse> filter(ProxyRequest request, FilterChain chain) {
            return CompletableFuture.completedFuture(ProxyResponse.of(418, "own filter method\n"));
          }
        };
    FilterHarness harness = FilterHarness.builder().add("own", overriding).build();
    TestResponse response = harness.send(TestRequest.get("/"));

    assertThat(response.status()).isEqualTo(418);
    assertThat(response.decision("own")).isEqualTo(Decision.RESPOND);
    assertThat(harness.upstream().attempts()).isZero();
  }
}
