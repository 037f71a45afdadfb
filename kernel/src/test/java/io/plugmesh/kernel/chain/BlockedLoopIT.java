package io.plugmesh.kernel.chain;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import io.plugmesh.config.ConfigLoader;
import io.plugmesh.config.Limits;
import io.plugmesh.filters.Phase;
import io.plugmesh.kernel.testing.KernelFixture;
import io.plugmesh.kernel.testing.PrometheusText;
import io.plugmesh.kernel.testing.TestUpstream;
import io.plugmesh.pluginruntime.TestFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * A plugin that blocks its event loop (it sleeps, which the SPI forbids) through a real kernel: the
 * watchdog names it in the log (once) and the metric, its client gets the route timeout's 504 as
 * soon as the thread returns, connections on the other worker loops go on, and with quarantine its
 * routes answer 503 naming it until the next config change.
 */
class BlockedLoopIT {
  /** How long the plugin sleeps; far above the threshold and the route timeout. */
  static final long SLEEP_MILLIS = 2_000;

  /** The sleeping route's timeout. */
  static final String ROUTE_TIMEOUT = "500ms";

  /** Fresh connections opened to the fast route while a loop is blocked. */
  static final int OTHER_CONNECTIONS = 8;

  /** A request on a free loop answers well within this while another loop sleeps. */
  static final long QUICK_MILLIS = SLEEP_MILLIS / 2;

  /** Bound for waits on requests and the plugin. */
  static final long WAIT_SECONDS = 15;

  static final String YAML =
      """
      listeners: [{name: main, address: 127.0.0.1:0}]
      clusters: [{name: up, endpoints: [{address: %s}]}]
      routes:
        - {name: sleepy, match: {pathPrefix: /sleepy}, cluster: up, timeout: %s, plugins: [{name: sleepy}]}
        - {name: fast, match: {pathPrefix: /fast}, cluster: up}
      """;

  static TestUpstream up;
  static KernelFixture proxy;
  static KernelFixture quarantining;
  static volatile CountDownLatch asleep = new CountDownLatch(1);
  static ListAppender<ILoggingEvent> logs = new ListAppender<>();

  @BeforeAll
  static void start() throws Exception {
    up = TestUpstream.http1("up");
    Logger logger = (Logger) LoggerFactory.getLogger(BlockedLoopWatchdog.class);
    logger.setLevel(Level.INFO);
    logs.start();
    logger.addAppender(logs);
    String yaml = YAML.formatted(up.address(), ROUTE_TIMEOUT);
    proxy = KernelFixture.start(yaml, limits(false), sleepy());
    quarantining = KernelFixture.start(yaml, limits(true), sleepy());
  }

  @AfterAll
  static void stop() {
    ((Logger) LoggerFactory.getLogger(BlockedLoopWatchdog.class)).detachAppender(logs);
    proxy.close();
    quarantining.close();
    up.close();
  }

  static Limits limits(boolean quarantine) {
    Limits d = Limits.DEFAULTS;
    return new Limits(
        d.maxHeaderBytes(),
        d.maxHeaderCount(),
        d.maxUriBytes(),
        d.maxConcurrentStreams(),
        d.maxResetsPerWindow(),
        d.resetWindow(),
        d.idleTimeout(),
        d.requestHeadersTimeout(),
        d.defaultRouteTimeout(),
        d.maxPendingBodyBytes(),
        d.drainTimeout(),
        d.blockedLoopThreshold(),
        quarantine);
  }

  /** Sleeps on the event loop when the request carries {@code x-sleep}. */
  static TestFactory sleepy() {
    return TestFactory.passing("sleepy", Phase.OBSERVE)
        .withFilter(
            (c, s) ->
                (request, chain) -> {
                  if (request.headers().contains("x-sleep")) {
                    asleep.countDown();
                    try {
                      Thread.sleep(SLEEP_MILLIS);
                    } catch (InterruptedException e) {
                      Thread.currentThread().interrupt();
                    }
                  }
                  return chain.proceed(request);
                });
  }

  static CompletableFuture<HttpResponse<String>> sleepyRequest(KernelFixture k) {
    asleep = new CountDownLatch(1);
    return k.client.sendAsync(
        HttpRequest.newBuilder(k.uri("main", "/sleepy/echo"))
            .timeout(Duration.ofSeconds(WAIT_SECONDS))
            .header("x-sleep", "1")
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** One GET on its own fresh connection; returns its milliseconds, or -1 when it failed. */
  static long timedGet(int port) {
    long start = System.nanoTime();
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout((int) TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
      OutputStream out = s.getOutputStream();
      out.write(
          "GET /fast/echo HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      byte[] head = in.readNBytes(12);
      if (!new String(head, StandardCharsets.US_ASCII).equals("HTTP/1.1 200")) {
        return -1;
      }
      return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    } catch (IOException e) {
      return -1;
    }
  }

  static double blocked(KernelFixture k) throws Exception {
    return PrometheusText.sum(k.admin("/metrics"), "mesh_plugin_blocked_total", "plugin", "sleepy");
  }

  static List<ILoggingEvent> warningsAbout(String plugin) {
    return logs.list.stream()
        .filter(e -> e.getLevel() == Level.WARN)
        .filter(e -> e.getFormattedMessage().contains("plugin '" + plugin + "' has blocked"))
        .toList();
  }

  @Test
  void aBlockingPluginIsNamedCountedAndTimedOutWhileOtherLoopsServe() throws Exception {
    int logged = warningsAbout("sleepy").size(); // the other kernel logs through the same logger
    CompletableFuture<HttpResponse<String>> sleeping = sleepyRequest(proxy);
    assertThat(asleep.await(WAIT_SECONDS, TimeUnit.SECONDS)).isTrue();

    // Fresh connections spread over the worker loops; those on a loop other than the sleeping
    // one answer at once.
    ExecutorService pool = Executors.newFixedThreadPool(OTHER_CONNECTIONS);
    List<Long> millis = new ArrayList<>();
    try {
      List<Future<Long>> gets = new ArrayList<>();
      for (int i = 0; i < OTHER_CONNECTIONS; i++) {
        gets.add(pool.submit(() -> timedGet(proxy.port("main"))));
      }
      for (Future<Long> g : gets) {
        millis.add(g.get(WAIT_SECONDS, TimeUnit.SECONDS));
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(millis).doesNotContain(-1L);
    if (Runtime.getRuntime().availableProcessors() > 1) {
      assertThat(millis)
          .as("answer times (ms) with one loop asleep")
          .anyMatch(m -> m < QUICK_MILLIS);
    }

    // The route timeout answers, not the late response.
    HttpResponse<String> late = sleeping.get(WAIT_SECONDS, TimeUnit.SECONDS);
    assertThat(late.statusCode()).isEqualTo(504);

    assertThat(blocked(proxy)).isEqualTo(1);
    List<ILoggingEvent> warnings = warningsAbout("sleepy");
    assertThat(warnings).hasSize(logged + 1);
    assertThat(ThrowableProxyUtil.asString(warnings.get(logged).getThrowableProxy()))
        .contains("Thread.sleep")
        .contains("BlockedLoopIT");

    // A second block is counted, not logged again.
    assertThat(sleepyRequest(proxy).get(WAIT_SECONDS, TimeUnit.SECONDS).statusCode())
        .isEqualTo(504);
    assertThat(blocked(proxy)).isEqualTo(2);
    assertThat(warningsAbout("sleepy")).hasSize(logged + 1);

    // Without quarantine the route keeps running the plugin.
    assertThat(proxy.get("main", "/sleepy/echo").statusCode()).isEqualTo(200);
  }

  @Test
  void quarantineAnswers503NamingThePluginUntilTheNextConfig() throws Exception {
    assertThat(sleepyRequest(quarantining).get(WAIT_SECONDS, TimeUnit.SECONDS).statusCode())
        .isEqualTo(504);

    HttpResponse<String> r = quarantining.get("main", "/sleepy/echo");
    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(r.body()).contains("plugin 'sleepy'").contains("quarantined");
    assertThat(quarantining.get("main", "/fast/echo").statusCode()).isEqualTo(200);

    quarantining.kernel.apply(
        ConfigLoader.parseYaml(YAML.formatted(up.address(), ROUTE_TIMEOUT), "again"));
    assertThat(quarantining.get("main", "/sleepy/echo").statusCode()).isEqualTo(200);
  }
}
