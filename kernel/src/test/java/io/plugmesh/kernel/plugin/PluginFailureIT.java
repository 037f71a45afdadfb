package io.plugmesh.kernel.plugin;

import static org.assertj.core.api.Assertions.assertThat;

import io.plugmesh.config.Limits;
import io.plugmesh.filters.Phase;
import io.plugmesh.filters.ProxyResponse;
import io.plugmesh.kernel.testing.KernelFixture;
import io.plugmesh.kernel.testing.TestUpstream;
import io.plugmesh.pluginruntime.TestFactory;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Misbehaving plugins through a real kernel: a throwing, a failing, a never-completing and a
 * twice-proceeding filter each cost only their own route a 5xx naming the plugin (counted and
 * logged), while other routes keep answering; shadow and off modes let requests through.
 */
class PluginFailureIT {
  /** The route timeout of the route whose plugin never completes. */
  static final Duration HANG_TIMEOUT = Duration.ofMillis(400);

  /** Requests held by the never-completing plugin at once. */
  static final int HANGING_REQUESTS = 8;

  /** A request body sent to failing routes, larger than one read. */
  static final int BODY_BYTES = 256 * 1024;

  static final Duration ACCESS_LOG_WAIT = Duration.ofSeconds(10);

  @TempDir static Path dir;

  static final ConcurrentLinkedQueue<CompletableFuture<ProxyResponse>> hung =
      new ConcurrentLinkedQueue<>();

  static TestUpstream upstream;
  static KernelFixture proxy;
  static Path accessLog;
  static TestFactory deny;

  @BeforeAll
  static void start() throws Exception {
    upstream = TestUpstream.http1("up");
    accessLog = dir.resolve("access.log");
    TestFactory pass = TestFactory.passing("pass", Phase.OBSERVE);
    TestFactory thrower =
        TestFactory.passing("thrower", Phase.AUTHN)
            .withFilter(
                (c, s) ->
                    (request, chain) -> {
                      throw new IllegalStateException("thrower broke on " + request.path());
                    });
    TestFactory failer =
        TestFactory.passing("failer", Phase.AUTHN)
            .withFilter(
                (c, s) ->
                    (request, chain) ->
                        CompletableFuture.failedFuture(new IllegalStateException("failer failed")));
    TestFactory hang =
        TestFactory.passing("hang", Phase.AUTHN)
            .withFilter(
                (c, s) ->
                    (request, chain) -> {
                      CompletableFuture<ProxyResponse> never = new CompletableFuture<>();
                      hung.add(never);
                      return never;
                    });
    deny =
        TestFactory.passing("deny", Phase.AUTHZ)
            .withFilter(
                (c, s) ->
                    (request, chain) ->
                        CompletableFuture.completedFuture(ProxyResponse.of(403, "denied\n")));
    TestFactory twice =
        TestFactory.passing("twice", Phase.RETRY)
            .withFilter(
                (c, s) ->
                    (request, chain) -> {
                      chain.proceed(request);
                      return chain.proceed(request);
                    });
    TestFactory twiceLater =
        TestFactory.passing("twice-later", Phase.RETRY)
            .withFilter(
                (c, s) ->
                    (request, chain) ->
                        chain
                            .proceed(request)
                            .thenCompose(
                                first -> {
                                  first.discard();
                                  return chain.proceed(request);
                                }));
    TestFactory failsLate =
        TestFactory.passing("fails-late", Phase.OBSERVE)
            .withFilter(
                (c, s) ->
                    (request, chain) ->
                        chain
                            .proceed(request)
                            .thenApply(
                                response -> {
                                  // Drops the upstream response (its body still streaming).
                                  throw new IllegalStateException(
                                      "fails-late broke on " + response.status());
                                }));
    proxy =
        KernelFixture.start(
            KernelFixture.withJsonAccessLog(KernelFixture.settings(Limits.DEFAULTS), accessLog),
            """
            listeners: [{name: main, address: 127.0.0.1:0}]
            clusters: [{name: up, endpoints: [{address: %s}]}]
            routes:
              - {name: throw, match: {pathPrefix: /throw}, cluster: up, plugins: [{name: thrower}]}
              - {name: fail, match: {pathPrefix: /fail}, cluster: up, plugins: [{name: failer}]}
              - name: hang
                match: {pathPrefix: /hang}
                cluster: up
                timeout: %dms
                plugins: [{name: hang}]
              - name: shadow
                match: {pathPrefix: /shadow}
                cluster: up
                plugins: [{name: deny, mode: shadow}, {name: pass}]
              - name: off
                match: {pathPrefix: /off}
                cluster: up
                plugins: [{name: thrower, mode: off}, {name: deny, mode: off}, {name: pass}]
              - {name: twice, match: {pathPrefix: /twice}, cluster: up, plugins: [{name: twice}]}
              - name: late
                match: {pathPrefix: /late}
                cluster: up
                plugins: [{name: fails-late}]
              - name: twice-later
                match: {pathPrefix: /later}
                cluster: up
                plugins: [{name: twice-later}]
              - {name: ok, match: {pathPrefix: /}, cluster: up, plugins: [{name: pass}]}
            """
                .formatted(upstream.address(), HANG_TIMEOUT.toMillis()),
            pass,
            thrower,
            failer,
            hang,
            deny,
            twice,
            twiceLater,
            failsLate);
  }

  @AfterAll
  static void stop() {
    proxy.close();
    upstream.close();
  }

  @Test
  void aThrowingPluginAnswers500NamingItAndIsCountedAndLogged() throws Exception {
    HttpResponse<String> r = proxy.get("main", "/throw/x");
    assertThat(r.statusCode()).isEqualTo(500);
    assertThat(r.body()).contains("plugin 'thrower'").contains("route 'throw'");
    assertThat(upstream.seen()).noneMatch(s -> s.uri().startsWith("/throw"));

    HttpResponse<String> withBody = post("/throw/body", BODY_BYTES);
    assertThat(withBody.statusCode()).isEqualTo(500);
    assertThat(withBody.body()).contains("plugin 'thrower'");

    assertThat(decisions("throw", "thrower", "error")).isGreaterThanOrEqualTo(2);
    assertThat(awaitAccessLogLine("\"route\":\"throw\"")).contains("\"plugin\":\"thrower\"");
    assertOtherRoutesAnswer();
  }

  @Test
  void aPluginReturningAFailedStageAnswers500NamingIt() throws Exception {
    HttpResponse<String> r = proxy.get("main", "/fail/x");
    assertThat(r.statusCode()).isEqualTo(500);
    assertThat(r.body()).contains("plugin 'failer'").contains("route 'fail'");
    assertThat(decisions("fail", "failer", "error")).isGreaterThanOrEqualTo(1);
    assertThat(awaitAccessLogLine("\"route\":\"fail\""))
        .contains("\"plugin\":\"failer\"")
        .contains("\"response_code\":500");
    assertOtherRoutesAnswer();
  }

  @Test
  void aPluginFailingAfterTheUpstreamAnsweredAnswers500AndReleasesTheUpstreamBody()
      throws Exception {
    for (String path : List.of("/late/bytes/1048576", "/late/echo/x")) {
      HttpResponse<String> r = proxy.get("main", path);
      assertThat(r.statusCode()).isEqualTo(500);
      assertThat(r.body()).contains("plugin 'fails-late'").contains("route 'late'");
    }
    HttpResponse<String> withBody = post("/late/echo/body", BODY_BYTES);
    assertThat(withBody.statusCode()).isEqualTo(500);
    assertThat(upstream.seen())
        .anyMatch(s -> s.uri().equals("/late/echo/body") && s.bodyBytes() == BODY_BYTES);
    assertThat(decisions("late", "fails-late", "error")).isGreaterThanOrEqualTo(3);
    assertOtherRoutesAnswer();
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void aNeverCompletingPluginAnswers504AfterTheRouteTimeoutAndOtherRoutesAreUnaffected()
      throws Exception {
    List<CompletableFuture<HttpResponse<String>>> hanging = new ArrayList<>();
    for (int i = 0; i < HANGING_REQUESTS; i++) {
      hanging.add(
          proxy.client.sendAsync(
              HttpRequest.newBuilder(proxy.uri("main", "/hang/" + i))
                  .timeout(Duration.ofSeconds(10))
                  .build(),
              HttpResponse.BodyHandlers.ofString()));
    }
    hanging.add(
        proxy.client.sendAsync(
            HttpRequest.newBuilder(proxy.uri("main", "/hang/with-body"))
                .timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[BODY_BYTES]))
                .build(),
            HttpResponse.BodyHandlers.ofString()));
    // While those are held by the plugin, other routes answer.
    assertOtherRoutesAnswer();
    for (CompletableFuture<HttpResponse<String>> f : hanging) {
      HttpResponse<String> r = f.get(20, TimeUnit.SECONDS);
      assertThat(r.statusCode()).isEqualTo(504);
      assertThat(r.body()).contains("timeout");
    }
    assertThat(upstream.seen()).noneMatch(s -> s.uri().startsWith("/hang"));
    // The timeout cancels the plugin's stage: nothing keeps waiting for it.
    assertThat(hung).hasSizeGreaterThanOrEqualTo(HANGING_REQUESTS);
    assertThat(hung).allMatch(CompletableFuture::isCancelled);
    assertThat(awaitAccessLogLine("\"route\":\"hang\""))
        .contains("\"response_code\":504")
        .contains("\"response_flags\":\"UT\"");
    assertOtherRoutesAnswer();
  }

  @Test
  void aShadowPluginThatWouldDenyLetsTheRequestThroughAndCountsShadow() throws Exception {
    double before = decisions("shadow", "deny", "shadow");
    HttpResponse<String> r = proxy.get("main", "/shadow/x");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("x-upstream")).hasValue("up");
    assertThat(decisions("shadow", "deny", "shadow")).isEqualTo(before + 1);
    assertThat(decisions("shadow", "deny", "respond")).isZero();
    assertThat(decisions("shadow", "pass", "continue")).isGreaterThanOrEqualTo(1);
  }

  @Test
  void aPluginTurnedOffIsSkipped() throws Exception {
    HttpResponse<String> r = proxy.get("main", "/off/x");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("x-upstream")).hasValue("up");
    String metrics = proxy.admin("/metrics");
    assertThat(metrics).doesNotContain("plugin=\"thrower\",route=\"off\"");
    assertThat(metrics).doesNotContain("plugin=\"deny\",route=\"off\"");
    assertThat(decisions("off", "pass", "continue")).isGreaterThanOrEqualTo(1);
    // Only the shadow route created a deny filter; the off entry never reached the factory.
    assertThat(deny.created).isEqualTo(1);
  }

  @Test
  void aPluginProceedingTwiceWithoutReplayAnswers500NamingIt() throws Exception {
    HttpResponse<String> r = proxy.get("main", "/twice/x");
    assertThat(r.statusCode()).isEqualTo(500);
    assertThat(r.body()).contains("plugin 'twice'").contains("route 'twice'");

    HttpResponse<String> withBody = post("/twice/body", BODY_BYTES);
    assertThat(withBody.statusCode()).isEqualTo(500);
    assertThat(withBody.body()).contains("plugin 'twice'");

    HttpResponse<String> later = proxy.get("main", "/later/x");
    assertThat(later.statusCode()).isEqualTo(500);
    assertThat(later.body()).contains("plugin 'twice-later'").contains("route 'twice-later'");

    assertThat(decisions("twice", "twice", "error")).isGreaterThanOrEqualTo(2);
    assertThat(decisions("twice-later", "twice-later", "error")).isGreaterThanOrEqualTo(1);
    assertThat(awaitAccessLogLine("\"route\":\"twice-later\""))
        .contains("\"plugin\":\"twice-later\"");
    assertOtherRoutesAnswer();
  }

  private static void assertOtherRoutesAnswer() throws Exception {
    for (int i = 0; i < 5; i++) {
      HttpResponse<String> ok = proxy.get("main", "/echo/ok/" + i);
      assertThat(ok.statusCode()).isEqualTo(200);
      HttpResponse<String> okPost = post("/echo/ok-post/" + i, BODY_BYTES);
      assertThat(okPost.statusCode()).isEqualTo(200);
      assertThat(okPost.body()).contains("body-bytes: " + BODY_BYTES);
    }
  }

  private static HttpResponse<String> post(String path, int bytes) throws Exception {
    return proxy.client.send(
        HttpRequest.newBuilder(proxy.uri("main", path))
            .timeout(Duration.ofSeconds(10))
            .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[bytes]))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** The value of {@code mesh_plugin_decisions_total} for a route, plugin and decision, or 0. */
  private static double decisions(String route, String plugin, String decision) throws Exception {
    Pattern line =
        Pattern.compile("(?m)^mesh_plugin_decisions_total\\{([^}]*)\\}\\s+([0-9.eE+-]+)\\s*$");
    Matcher m = line.matcher(proxy.admin("/metrics"));
    while (m.find()) {
      String labels = m.group(1);
      if (labels.contains("route=\"" + route + "\"")
          && labels.contains("plugin=\"" + plugin + "\"")
          && labels.contains("decision=\"" + decision + "\"")) {
        return Double.parseDouble(m.group(2));
      }
    }
    return 0;
  }

  /** Waits for the first access-log line containing {@code needle}; the writer is asynchronous. */
  private static String awaitAccessLogLine(String needle) throws Exception {
    long deadline = System.nanoTime() + ACCESS_LOG_WAIT.toNanos();
    while (true) {
      if (Files.exists(accessLog)) {
        for (String l : Files.readAllLines(accessLog)) {
          if (l.contains(needle)) {
            return l;
          }
        }
      }
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("no access-log line with " + needle + " in " + accessLog);
      }
      Thread.sleep(50);
    }
  }
}
