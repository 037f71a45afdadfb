package io.plugmesh.filters.testkit;

import static io.plugmesh.filters.testkit.UpstreamOutcome.fail;
import static io.plugmesh.filters.testkit.UpstreamOutcome.hang;
import static io.plugmesh.filters.testkit.UpstreamOutcome.respond;
import static org.assertj.core.api.Assertions.assertThat;

import io.plugmesh.filters.Filter;
import io.plugmesh.filters.advanced.FilterMode;
import io.plugmesh.filters.advanced.UpstreamException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class UpstreamAttemptListenerTest {

  /** Records attempts and their ends; sets a per-attempt header; retries once on 503 or failure. */
  private final List<String> events = new CopyOnWriteArrayList<>();

  private final Filter retryWithListener =
      (request, chain) -> {
        request
            .context()
            .onUpstreamAttempt(
                attempt -> {
                  events.add("start " + attempt.number() + " " + attempt.endpoint());
                  attempt.headers().set("x-attempt", Integer.toString(attempt.number()));
                  attempt.onEnd(
                      (status, failure) ->
                          events.add(
                              "end "
                                  + attempt.number()
                                  + " "
                                  + status
                                  + " "
                                  + (failure == null ? "-" : failure.getClass().getSimpleName())));
                });
        return chain
            .proceed(request)
            .handle(
                (r, e) -> {
                  if (e == null && r.status() != 503) {
                    return CompletableFuture.completedFuture(r);
                  }
                  if (r != null) {
                    r.discard();
                  }
                  return chain.proceed(request);
                })
            .thenCompose(s -> s);
      };

  private FilterHarness harness(FakeUpstream upstream) {
    return FilterHarness.builder()
        .add("retry", retryWithListener, FilterMode.ENFORCE, 1024)
        .upstream(upstream)
        .build();
  }

  @Test
  void listenersHearEveryAttemptAndSetItsHeaders() {
    FilterHarness h =
        harness(FakeUpstream.script(respond(503), respond(200)).endpoint("10.0.0.1:81"));
    assertThat(h.send(TestRequest.get("/")).status()).isEqualTo(200);
    assertThat(events)
        .containsExactly(
            "start 1 10.0.0.1:81", "end 1 503 -", "start 2 10.0.0.1:81", "end 2 200 -");
    assertThat(h.upstream().requests())
        .extracting(r -> r.header("x-attempt"))
        .containsExactly("1", "2");
  }

  @Test
  void failuresEndWithTheUpstreamException() {
    FilterHarness h =
        harness(FakeUpstream.script(fail(UpstreamException.Kind.RESET), respond(200)));
    assertThat(h.send(TestRequest.get("/")).status()).isEqualTo(200);
    assertThat(events)
        .containsExactly(
            "start 1 upstream.test:80",
            "end 1 0 UpstreamException",
            "start 2 upstream.test:80",
            "end 2 200 -");
  }

  @Test
  void cancelledAttemptsEndWithCancellation() {
    Filter listenOnly =
        (request, chain) -> {
          request
              .context()
              .onUpstreamAttempt(
                  attempt ->
                      attempt.onEnd(
                          (status, failure) ->
                              events.add(
                                  "end " + status + " " + failure.getClass().getSimpleName())));
          return chain.proceed(request);
        };
    FilterHarness h =
        FilterHarness.builder()
            .add("listen", listenOnly)
            .upstream(FakeUpstream.always(hang()))
            .build();
    CompletableFuture<TestResponse> pending = h.sendAsync(TestRequest.get("/"));
    h.advance(Duration.ofSeconds(1));
    assertThat(events).isEmpty();
    pending.cancel(false);
    assertThat(events).containsExactly("end 0 CancellationException");
  }

  @Test
  void aThrowingListenerFailsTheAttempt() {
    FilterHarness h =
        FilterHarness.of(
            (request, chain) -> {
              request
                  .context()
                  .onUpstreamAttempt(
                      attempt -> {
                        throw new IllegalStateException("boom");
                      });
              return chain.proceed(request);
            });
    TestResponse response = h.send(TestRequest.get("/"));
    assertThat(response.status()).isEqualTo(500);
    assertThat(response.failure())
        .hasValueSatisfying(f -> assertThat(f).hasMessageContaining("boom"));
    assertThat(h.upstream().attempts()).isZero();
  }
}
