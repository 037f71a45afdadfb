package io.plugmesh.filters.testkit;

import static io.plugmesh.filters.testkit.UpstreamOutcome.fail;
import static io.plugmesh.filters.testkit.UpstreamOutcome.hang;
import static io.plugmesh.filters.testkit.UpstreamOutcome.respond;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.plugmesh.filters.ConfigNode;
import io.plugmesh.filters.ContextKeys;
import io.plugmesh.filters.Filter;
import io.plugmesh.filters.FilterFactory;
import io.plugmesh.filters.FilterServices;
import io.plugmesh.filters.HeadersFilter;
import io.plugmesh.filters.Phase;
import io.plugmesh.filters.ProxyRequest;
import io.plugmesh.filters.ProxyResponse;
import io.plugmesh.filters.RequestDecision;
import io.plugmesh.filters.advanced.BodyAccess;
import io.plugmesh.filters.advanced.FilterMode;
import io.plugmesh.filters.advanced.Principal;
import io.plugmesh.filters.advanced.ResponseFlag;
import io.plugmesh.filters.advanced.UpstreamException;
import io.plugmesh.filters.testkit.TestResponse.Decision;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class FilterHarnessTest {

  @Test
  void headersFilterAnswers401WithoutReachingTheUpstream() {
    FilterHarness harness =
        FilterHarness.of(new TenantFilterFactory(), Map.of("header", "x-tenant"));
    TestResponse response = harness.send(TestRequest.get("/reviews"));
    assertThat(response.status()).isEqualTo(401);
    assertThat(harness.upstream().attempts()).isZero();

    assertThat(response.bodyText()).isEqualTo("tenant required\n");
    assertThat(response.fromUpstream()).isFalse();
    assertThat(response.answeredBy()).hasValue("tenant");
    assertThat(response.decision("tenant")).isEqualTo(Decision.RESPOND);
    assertThat(response.responseFlags()).containsExactly(ResponseFlag.UNAUTHORIZED);
    assertThat(harness.metrics().count("denied", "reason", "missing_header")).isEqualTo(1);
    assertThat(harness.metrics().count("denied")).isZero();
    assertThat(harness.logs())
        .singleElement()
        .satisfies(
            entry -> {
              assertThat(entry.plugin()).isEqualTo("tenant");
              assertThat(entry.level()).isEqualTo(System.Logger.Level.INFO);
              assertThat(entry.message()).isEqualTo("denied /reviews");
            });
  }

  @Test
  void filtersSeeTheNormalizedPathTheProxyRoutesOnAndItFollowsARewrite() {
    AtomicReference<String> before = new AtomicReference<>();
    AtomicReference<Object> after = new AtomicReference<>();
    FilterHarness harness =
        FilterHarness.builder()
            .add(
                "rewrite",
                (HeadersFilter)
                    request -> {
                      before.set(request.normalizedPath().orElseThrow());
                      request.setPath("/files/a%2Fb?x=1");
                      return RequestDecision.proceed();
                    })
            .add(
                "read",
                (HeadersFilter)
                    request -> {
                      after.set(request.normalizedPath());
                      return RequestDecision.proceed();
                    })
            .build();

    harness.send(TestRequest.get("/public//..//%61dmin/./x?debug=/../1"));

    assertThat(before).hasValue("/admin/x");
    assertThat(after).hasValue(Optional.empty());
    assertThat(TestRequest.get("/a/../b?q").toProxyRequest().normalizedPath()).hasValue("/b");
  }

  @Test
  void requestThatPassesReachesTheUpstreamWithTheFiltersChanges() {
    FilterHarness harness =
        FilterHarness.of(new TenantFilterFactory(), Map.of("header", "x-tenant"));
    TestResponse response =
        harness.send(TestRequest.post("/reviews", "{\"stars\":5}").header("x-tenant", "acme"));

    assertThat(response.status()).isEqualTo(200);
    assertThat(response.bodyText()).isEqualTo("ok");
    assertThat(response.fromUpstream()).isTrue();
    assertThat(response.answeredBy()).isEmpty();
    assertThat(response.decision("tenant")).isEqualTo(Decision.CONTINUE);
    UpstreamRequest seen = harness.upstream().lastRequest();
    assertThat(seen.method()).isEqualTo("POST");
    assertThat(seen.path()).isEqualTo("/reviews");
    assertThat(seen.header("x-tenant-checked")).isEqualTo("true");
    assertThat(seen.bodyText()).isEqualTo("{\"stars\":5}");
    assertThat(seen.requestId()).isEqualTo(response.context().requestId());
    assertThat(response.upstreamRequests()).containsExactly(seen);
  }

  @Test
  void throwingFilterFailsAs500NamingThePlugin() {
    FilterHarness harness =
        FilterHarness.builder()
            .add(
                "exploding",
                (request, chain) -> {
                  throw new IllegalArgumentException("boom");
                })
            .build();
    TestResponse response = harness.send(TestRequest.get("/"));

    assertThat(response.status()).isEqualTo(TestResponse.FILTER_FAILURE_STATUS);
    assertThat(response.failedPlugin()).hasValue("exploding");
    assertThat(response.failure())
        .hasValueSatisfying(
            failure -> {
              assertThat(failure).hasMessageContaining("plugin 'exploding'");
              assertThat(failure).hasRootCauseInstanceOf(IllegalArgumentException.class);
              assertThat(failure.getCause()).hasMessage("boom");
            });
    assertThat(response.decision("exploding")).isEqualTo(Decision.ERROR);
    assertThat(response.fromUpstream()).isFalse();
    assertThat(harness.upstream().attempts()).isZero();
  }

  @Test
  void failureOfALaterFilterIsNotBlamedOnAnEarlierOne() {
    FilterHarness harness =
        FilterHarness.builder()
            .add("outer", (HeadersFilter) request -> RequestDecision.proceed())
            .add("inner", (request, chain) -> null)
            .build();
    TestResponse response = harness.send(TestRequest.get("/"));

    assertThat(response.status()).isEqualTo(500);
    assertThat(response.failedPlugin()).hasValue("inner");
    assertThat(response.failure().orElseThrow()).hasMessageContaining("returned null");
    assertThat(response.decision("inner")).isEqualTo(Decision.ERROR);
    assertThat(response.decision("outer")).isEqualTo(Decision.CONTINUE);
  }

  @Test
  void proceedingTwiceWithoutReplayFailsLoudly() {
    Filter twice =
        (request, chain) ->
            chain
                .proceed(request)
                .thenCompose(
                    first -> {
                      first.discard();
                      return chain.proceed(request);
                    });
    FilterHarness harness = FilterHarness.builder().add("twice", twice).build();
    TestResponse response = harness.send(TestRequest.get("/"));

    assertThat(response.status()).isEqualTo(500);
    assertThat(response.failedPlugin()).hasValue("twice");
    assertThat(response.failure().orElseThrow())
        .hasMessageContaining("called proceed() 2 times")
        .hasMessageContaining("replay");
    assertThat(harness.upstream().attempts()).isEqualTo(1);
  }

  @Test
  void factoryDeclaringReplayMayProceedAgainAndTheUpstreamSeesEveryAttempt() {
    FilterHarness harness =
        FilterHarness.builder()
            .add(new RetryFactory(), Map.of("attempts", 3))
            .upstream(
                FakeUpstream.script(
                    fail(UpstreamException.Kind.RESET), respond(503), respond(200, "ok")))
            .build();
    TestResponse response = harness.send(TestRequest.post("/orders", "payload"));

    assertThat(response.status()).isEqualTo(200);
    assertThat(response.bodyText()).isEqualTo("ok");
    assertThat(response.request().replayable()).isTrue();
    assertThat(harness.upstream().requests())
        .extracting(UpstreamRequest::bodyText)
        .containsExactly("payload", "payload", "payload");
    assertThat(harness.upstream().requests())
        .extracting(UpstreamRequest::state)
        .containsExactly(
            UpstreamRequest.State.FAILED,
            UpstreamRequest.State.RESPONDED,
            UpstreamRequest.State.RESPONDED);
    assertThat(harness.upstream().requests().get(1).response().orElseThrow().discarded()).isTrue();
    assertThat(harness.metrics().plugin("retry").count("retries")).isEqualTo(2);
  }

  @Test
  void retryGivingUpIsSeenAsAnsweredByTheRetryPlugin() {
    FilterHarness harness =
        FilterHarness.builder()
            .add(new RetryFactory(), Map.of("attempts", 2))
            .upstream(FakeUpstream.respond(503, "busy"))
            .build();
    TestResponse response = harness.send(TestRequest.get("/"));

    assertThat(response.status()).isEqualTo(503);
    assertThat(response.bodyText()).isEqualTo("retries exhausted\n");
    assertThat(response.answeredBy()).hasValue("retry");
    assertThat(response.decision("retry")).isEqualTo(Decision.CONTINUE);
    assertThat(response.responseFlags()).contains(ResponseFlag.UPSTREAM_RETRY_LIMIT_EXCEEDED);
    assertThat(harness.upstream().attempts()).isEqualTo(2);
  }

  @Test
  void bodyOverTheReplayLimitIsNotReplayableAndASecondAttemptFails() {
    FilterHarness harness =
        FilterHarness.builder()
            .add(new RetryFactory(), Map.of("attempts", 3, "replayBytes", 4))
            .upstream(FakeUpstream.respond(503))
            .build();

    TestResponse small = harness.send(TestRequest.post("/", "abcd"));
    assertThat(small.request().replayable()).isTrue();
    assertThat(small.upstreamRequests()).hasSize(3);

    TestResponse large = harness.send(TestRequest.post("/", "abcde"));
    assertThat(large.request().replayable()).isFalse();
    assertThat(large.upstreamRequests()).hasSize(1);
    assertThat(large.status()).isEqualTo(503);
  }

  @Test
  void retryThatIgnoresReplayableIsStoppedAtTheSecondAttempt() {
    Filter careless =
        (request, chain) ->
            chain
                .proceed(request)
                .thenCompose(
                    first -> {
                      first.discard();
                      return chain.proceed(request);
                    });
    FilterHarness harness =
        FilterHarness.builder().add("careless", careless, FilterMode.ENFORCE, 2).build();
    TestResponse response = harness.send(TestRequest.post("/", "too long"));

    assertThat(response.status()).isEqualTo(500);
    assertThat(response.failure().orElseThrow())
        .hasMessageContaining("replay limit")
        .hasMessageContaining("replayable()");
    assertThat(harness.upstream().attempts()).isEqualTo(1);
  }

  @Test
  void droppingAnUpstreamResponseWithoutDiscardFailsTheSend() {
    FilterHarness harness =
        FilterHarness.builder()
            .add(new RetryFactory(), Map.of("attempts", 2, "discard", false))
            .upstream(FakeUpstream.script(respond(500), respond(200)))
            .build();

    assertThatThrownBy(() -> harness.send(TestRequest.get("/")))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("without discard()")
        .hasMessageContaining("attempts 1");
  }

  @Test
  void shadowModeLetsTheRequestThroughAndRecordsShadow() {
    FilterHarness harness =
        FilterHarness.builder()
            .add(new TenantFilterFactory(), Map.of("header", "x-tenant"), FilterMode.SHADOW)
            .build();
    TestResponse response = harness.send(TestRequest.get("/reviews"));

    assertThat(response.status()).isEqualTo(200);
    assertThat(response.fromUpstream()).isTrue();
    assertThat(response.decision("tenant")).isEqualTo(Decision.SHADOW);
    assertThat(harness.upstream().attempts()).isEqualTo(1);
    assertThat(harness.metrics().count("denied", "reason", "missing_header")).isEqualTo(1);
    assertThat(harness.toString()).isEqualTo("tenant(shadow) -> upstream");
  }

  @Test
  void eachPluginIsCreatedKnowingItsOwnMode() {
    Map<String, FilterMode> seen = new ConcurrentHashMap<>();
    class ModeRecorder extends PhaseOnly {
      ModeRecorder(String name) {
        super(name, Phase.CUSTOM);
      }

      @Override
      public Filter create(Object config, FilterServices services) {
        seen.put(services.pluginName(), services.mode());
        return super.create(config, services);
      }
    }
    FilterHarness harness =
        FilterHarness.builder()
            .add(new ModeRecorder("enforced"), Map.of())
            .add(new ModeRecorder("shadowed"), Map.of(), FilterMode.SHADOW)
            .add(new ModeRecorder("switched-off"), Map.of(), FilterMode.OFF)
            .build();

    assertThat(seen)
        .containsExactlyInAnyOrderEntriesOf(
            Map.of("enforced", FilterMode.ENFORCE, "shadowed", FilterMode.SHADOW));
    assertThat(harness.services("shadowed").mode()).isEqualTo(FilterMode.SHADOW);
    assertThat(harness.services("enforced").mode()).isEqualTo(FilterMode.ENFORCE);
  }

  @Test
  void offModeValidatesConfigButLeavesThePluginOut() {
    FilterHarness harness =
        FilterHarness.builder()
            .add(new TenantFilterFactory(), Map.of("header", "x-tenant"), FilterMode.OFF)
            .build();
    TestResponse response = harness.send(TestRequest.get("/"));

    assertThat(response.status()).isEqualTo(200);
    assertThat(response.decisions()).isEmpty();
    assertThat(harness.toString()).isEqualTo("upstream");
    assertThatThrownBy(
            () ->
                FilterHarness.builder()
                    .add(new TenantFilterFactory(), Map.of(), FilterMode.OFF)
                    .build())
        .hasMessageContaining("header");
  }

  @Test
  void delayFilterCompletesOnlyAfterAdvance() {
    FilterHarness harness =
        FilterHarness.builder().add(new DelayFactory(), Map.of("delay", "250ms")).build();
    CompletableFuture<TestResponse> pending = harness.sendAsync(TestRequest.get("/"));

    harness.advance(Duration.ofMillis(249));
    assertThat(pending).isNotDone();
    assertThat(harness.upstream().attempts()).isZero();

    harness.advance(Duration.ofMillis(1));
    assertThat(pending).isDone();
    TestResponse response = harness.await(pending);
    assertThat(response.status()).isEqualTo(200);
    assertThat(response.responseFlags()).containsExactly(ResponseFlag.DELAY_INJECTED);
    assertThat(harness.metrics().timings("delayed")).containsExactly(Duration.ofMillis(250));
    assertThat(harness.time().elapsed()).isEqualTo(Duration.ofMillis(250));
  }

  @Test
  void blockingSendOfAWaitingChainTimesOutWithAHint() {
    FilterHarness harness =
        FilterHarness.builder()
            .add(new DelayFactory(), Map.of("delay", "2s"))
            .timeout(Duration.ofMillis(50))
            .build();

    assertThatThrownBy(() -> harness.send(TestRequest.get("/")))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("1 scheduler task(s) pending")
        .hasMessageContaining("next due in PT2S")
        .hasMessageContaining("advance()");
  }

  @Test
  void scriptedUpstreamFailureSurfacesAsUpstreamException() {
    FilterHarness harness =
        FilterHarness.builder()
            .add(new TenantFilterFactory(), Map.of("header", "x-tenant"))
            .upstream(FakeUpstream.script(fail(UpstreamException.Kind.TIMEOUT)))
            .build();
    TestResponse response = harness.send(TestRequest.get("/").header("x-tenant", "acme"));

    assertThat(response.status()).isEqualTo(504);
    assertThat(response.failure())
        .hasValueSatisfying(
            failure ->
                assertThat(failure)
                    .isInstanceOfSatisfying(
                        UpstreamException.class,
                        e -> assertThat(e.kind()).isEqualTo(UpstreamException.Kind.TIMEOUT)));
    assertThat(response.failedPlugin()).isEmpty();
    assertThat(response.responseFlags()).containsExactly(ResponseFlag.UPSTREAM_REQUEST_TIMEOUT);
    assertThat(response.decision("tenant")).isEqualTo(Decision.CONTINUE);
  }

  @Test
  void filterSeesTheUpstreamExceptionFromProceed() {
    AtomicReference<Throwable> seen = new AtomicReference<>();
    Filter observing =
        (request, chain) ->
            chain.proceed(request).whenComplete((response, error) -> seen.set(error));
    FilterHarness harness =
        FilterHarness.builder()
            .add("observing", observing)
            .upstream(FakeUpstream.always(fail(UpstreamException.Kind.CONNECT_FAILURE)))
            .build();
    TestResponse response = harness.send(TestRequest.get("/"));

    assertThat(seen.get()).isInstanceOf(UpstreamException.class);
    assertThat(response.status()).isEqualTo(503);
    assertThat(response.responseFlags()).containsExactly(ResponseFlag.UPSTREAM_CONNECTION_FAILURE);
  }

  @Test
  void cancellingAProceedStageIsVisibleToTheUpstream() {
    FilterHarness harness =
        FilterHarness.builder()
            .add(new TimeoutFactory(), Map.of("timeout", "1s"))
            .upstream(FakeUpstream.script(hang()))
            .build();
    CompletableFuture<TestResponse> pending = harness.sendAsync(TestRequest.get("/slow"));
    assertThat(harness.upstream().lastRequest().state()).isEqualTo(UpstreamRequest.State.PENDING);

    harness.advance(Duration.ofSeconds(1));
    TestResponse response = harness.await(pending);

    assertThat(response.status()).isEqualTo(504);
    assertThat(response.answeredBy()).hasValue("timeout");
    assertThat(harness.upstream().lastRequest().cancelled()).isTrue();
    assertThat(harness.upstream().cancelledAttempts()).isEqualTo(1);
  }

  @Test
  void cancellingADelayedUpstreamOutcomeCancelsItsTimer() {
    FilterHarness harness =
        FilterHarness.builder()
            .add(new TimeoutFactory(), Map.of("timeout", "1s"))
            .upstream(FakeUpstream.script(respond(200, "late").after(Duration.ofSeconds(3))))
            .build();
    CompletableFuture<TestResponse> pending = harness.sendAsync(TestRequest.get("/"));
    assertThat(harness.time().pendingTasks()).isEqualTo(2);

    harness.advance(Duration.ofSeconds(1));

    assertThat(harness.await(pending).status()).isEqualTo(504);
    assertThat(harness.upstream().lastRequest().cancelled()).isTrue();
    assertThat(harness.time().pendingTasks()).isZero();
  }

  @Test
  void cancellingTheSendCancelsTheUpstreamAttempt() {
    FilterHarness harness =
        FilterHarness.builder()
            .add(new TenantFilterFactory(), Map.of("header", "x-tenant"))
            .upstream(FakeUpstream.script(hang()))
            .build();
    CompletableFuture<TestResponse> pending =
        harness.sendAsync(TestRequest.get("/").header("x-tenant", "acme"));

    pending.cancel(false);

    assertThat(harness.upstream().lastRequest().cancelled()).isTrue();
  }

  @Test
  void delayedUpstreamResponseArrivesOnAdvance() {
    FilterHarness harness =
        FilterHarness.builder()
            .add("pass", (HeadersFilter) request -> RequestDecision.proceed())
            .upstream(FakeUpstream.always(respond(200, "slow").after(Duration.ofMillis(300))))
            .build();
    CompletableFuture<TestResponse> pending = harness.sendAsync(TestRequest.get("/"));
    assertThat(pending).isNotDone();

    harness.advance(Duration.ofMillis(300));

    assertThat(harness.await(pending).bodyText()).isEqualTo("slow");
  }

  @Test
  void bodyIsVisibleOnlyWhenAFilterAsksForItAndOversizedBodiesGet413() {
    AtomicReference<String> seen = new AtomicReference<>();
    HeadersFilter peek =
        request -> {
          seen.set(request.body().map(String::new).orElse("<absent>"));
          return RequestDecision.proceed();
        };
    FilterHarness streaming = FilterHarness.builder().add("peek", peek).build();
    streaming.send(TestRequest.post("/", "hello"));
    assertThat(seen.get()).isEqualTo("<absent>");

    streaming.send(TestRequest.post("/", "hello").exposeBody());
    assertThat(seen.get()).isEqualTo("hello");

    FilterHarness buffering =
        FilterHarness.builder().add(new BufferingFactory(peek), Map.of()).build();
    buffering.send(TestRequest.post("/", "hello"));
    assertThat(seen.get()).isEqualTo("hello");

    TestResponse tooLarge = buffering.send(TestRequest.post("/", "x".repeat(17)));
    assertThat(tooLarge.status()).isEqualTo(TestResponse.PAYLOAD_TOO_LARGE_STATUS);
    assertThat(tooLarge.decisions()).isEmpty();
    assertThat(buffering.upstream().attempts()).isEqualTo(1);
  }

  @Test
  void requestCarriesPresetContext() {
    Principal alice = new Principal("alice", "https://idp.test", Map.of("scope", "reviews.read"));
    AtomicReference<ProxyRequest> seen = new AtomicReference<>();
    FilterHarness harness =
        FilterHarness.builder()
            .route("reviews-read")
            .add(
                "capture",
                (HeadersFilter)
                    request -> {
                      seen.set(request);
                      return RequestDecision.proceed();
                    })
            .build();
    InetSocketAddress client =
        new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 4242);

    harness.send(
        TestRequest.of("patch", "/reviews/1?x=2")
            .scheme("https")
            .authority("reviews:9080")
            .protocol("HTTP/2")
            .header("X-Request-Id", "req-7")
            .clientAddress(client)
            .principal(alice)
            .peerIdentity("spiffe://mesh.local/ns/default/sa/web"));

    ProxyRequest request = seen.get();
    assertThat(request.method()).isEqualTo("PATCH");
    assertThat(request.scheme()).isEqualTo("https");
    assertThat(request.authority()).isEqualTo("reviews:9080");
    assertThat(request.protocol()).isEqualTo("HTTP/2");
    assertThat(request.path()).isEqualTo("/reviews/1?x=2");
    assertThat(request.context().requestId()).isEqualTo("req-7");
    assertThat(request.context().routeName()).isEqualTo("reviews-read");
    assertThat(request.context().get(ContextKeys.PRINCIPAL)).hasValue(alice);
    assertThat(request.context().get(ContextKeys.CLIENT_ADDRESS)).hasValue(client);
    assertThat(request.context().get(ContextKeys.ROUTE)).hasValue("reviews-read");
    assertThat(request.context().get(ContextKeys.PEER_IDENTITY))
        .hasValue("spiffe://mesh.local/ns/default/sa/web");
  }

  @Test
  void generatedRequestIdsDiffer() {
    FilterHarness harness = FilterHarness.of((HeadersFilter) request -> RequestDecision.proceed());
    String first = harness.send(TestRequest.get("/")).context().requestId();
    String second = harness.send(TestRequest.get("/")).context().requestId();
    assertThat(first).isNotBlank().isNotEqualTo(second);
  }

  @Test
  void phasesOutOfOrderAreRejected() {
    FilterFactory<Object> authz = new PhaseOnly("rbac", Phase.AUTHZ);
    FilterFactory<Object> authn = new PhaseOnly("authn-jwt", Phase.AUTHN);

    assertThatThrownBy(
            () -> FilterHarness.builder().add(authz, Map.of()).add(authn, Map.of()).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'rbac' (AUTHZ) comes before 'authn-jwt' (AUTHN)");
    assertThat(FilterHarness.builder().add(authn, Map.of()).add(authz, Map.of()).build())
        .hasToString("authn-jwt -> rbac -> upstream");
  }

  @Test
  void badPluginNamesAreRejected() {
    assertThatThrownBy(() -> FilterHarness.builder().add("Bad_Name", (r, c) -> c.proceed(r)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'Bad_Name'")
        .hasMessageContaining("lower case, digits and dashes");
  }

  @Test
  void sharedObjectsAreClosedWithTheHarness() {
    AtomicReference<Boolean> closed = new AtomicReference<>(false);
    FilterFactory<Object> withCache =
        new PhaseOnly("cache", Phase.CUSTOM) {
          @Override
          public Filter create(Object config, FilterServices services) {
            AutoCloseable cache =
                services.shared("jwks", AutoCloseable.class, () -> () -> closed.set(true));
            assertThat(services.shared("jwks", AutoCloseable.class, () -> null)).isSameAs(cache);
            return (HeadersFilter) request -> RequestDecision.proceed();
          }
        };
    FilterHarness harness = FilterHarness.of(withCache);
    assertThat(closed.get()).isFalse();

    harness.close();

    assertThat(closed.get()).isTrue();
  }

  /** Delays every request by a configured duration on the services' scheduler. */
  static final class DelayFactory implements FilterFactory<Duration> {
    @Override
    public String name() {
      return "delay";
    }

    @Override
    public Phase phase() {
      return Phase.FAULT;
    }

    @Override
    public String configSchema() {
      return """
          {"type": "object", "required": ["delay"],
           "properties": {"delay": {"type": "string", "pattern": "^[0-9]+(ms|s)$"}}}""";
    }

    @Override
    public Duration parseConfig(ConfigNode config) {
      return config.duration("delay");
    }

    @Override
    public Filter create(Duration delay, FilterServices services) {
      var timer = services.metrics().timer("delayed");
      return (request, chain) -> {
        long start = services.nanoTime();
        CompletableFuture<Void> elapsed = new CompletableFuture<>();
        services
            .scheduler()
            .schedule(() -> elapsed.complete(null), delay.toNanos(), TimeUnit.NANOSECONDS);
        return elapsed.thenCompose(
            ignored -> {
              timer.recordNanos(services.nanoTime() - start);
              request.context().addResponseFlag(ResponseFlag.DELAY_INJECTED);
              return chain.proceed(request);
            });
      };
    }
  }

  /** Answers 504 itself and cancels the attempt when the upstream is slower than a timeout. */
  static final class TimeoutFactory implements FilterFactory<Duration> {
    @Override
    public String name() {
      return "timeout";
    }

    @Override
    public Phase phase() {
      return Phase.CUSTOM;
    }

    @Override
    public String configSchema() {
      return "{\"type\": \"object\", \"properties\": {\"timeout\": {\"type\": \"string\"}}}";
    }

    @Override
    public Duration parseConfig(ConfigNode config) {
      return config.duration("timeout");
    }

    @Override
    public Filter create(Duration timeout, FilterServices services) {
      return (request, chain) -> {
        CompletableFuture<ProxyResponse> attempt = chain.proceed(request).toCompletableFuture();
        CompletableFuture<ProxyResponse> result = new CompletableFuture<>();
        var timer =
            services
                .scheduler()
                .schedule(
                    () -> {
                      if (attempt.cancel(false)) {
                        result.complete(ProxyResponse.of(504, "timed out\n"));
                      }
                    },
                    timeout.toNanos(),
                    TimeUnit.NANOSECONDS);
        attempt.whenComplete(
            (response, error) -> {
              if (!attempt.isCancelled()) {
                timer.cancel(false);
                if (error != null) {
                  result.completeExceptionally(error);
                } else {
                  result.complete(response);
                }
              }
            });
        return result;
      };
    }
  }

  /** Declares buffered body access of 16 bytes around a given filter. */
  static final class BufferingFactory implements FilterFactory<Object> {
    private final Filter filter;

    BufferingFactory(Filter filter) {
      this.filter = filter;
    }

    @Override
    public String name() {
      return "buffering";
    }

    @Override
    public Phase phase() {
      return Phase.CUSTOM;
    }

    @Override
    public String configSchema() {
      return "{\"type\": \"object\"}";
    }

    @Override
    public Object parseConfig(ConfigNode config) {
      return config.raw();
    }

    @Override
    public BodyAccess bodyAccess(Object config) {
      return BodyAccess.buffered(16);
    }

    @Override
    public Filter create(Object config, FilterServices services) {
      return filter;
    }
  }

  /** A pass-through plugin of a given name and phase. */
  static class PhaseOnly implements FilterFactory<Object> {
    private final String name;
    private final Phase phase;

    PhaseOnly(String name, Phase phase) {
      this.name = name;
      this.phase = phase;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public Phase phase() {
      return phase;
    }

    @Override
    public String configSchema() {
      return "{\"type\": \"object\"}";
    }

    @Override
    public Object parseConfig(ConfigNode config) {
      return config.raw();
    }

    @Override
    public Filter create(Object config, FilterServices services) {
      return (HeadersFilter) request -> RequestDecision.proceed();
    }
  }
}
