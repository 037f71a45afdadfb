package io.plugmesh.kernel.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.plugmesh.kernel.testing.H2cClient;
import io.plugmesh.kernel.testing.TestUpstream;
import java.io.File;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Shutdown of a real proxy process: SIGTERM drains it (requests in flight finish, no new
 * connections, GOAWAY to HTTP/2 clients, {@code /ready} 503) and it exits 0 within {@code
 * drainTimeout}; what the drain timeout cuts is cut, and the process still exits 0.
 */
class DrainIT {
  /** Requests in flight over HTTP/1.1 when the signal arrives (one connection each). */
  static final int HTTP1_IN_FLIGHT = 20;

  /**
   * How long the upstream holds each request: long enough that none is answered before the drain
   * starts even on a loaded machine (every response must then say {@code Connection: close}).
   */
  static final Duration UPSTREAM_DELAY = Duration.ofSeconds(3);

  /** Bound on starting the proxy process and on waiting for requests to reach the upstream. */
  static final Duration START_BOUND = Duration.ofSeconds(30);

  /** Beyond the drain timeout: JVM exit, closing the plugin host, metrics and access log. */
  static final Duration EXIT_MARGIN = Duration.ofSeconds(5);

  @TempDir Path dir;
  Process proxy;
  TestUpstream upstream;
  final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(2))
          .build();

  @AfterEach
  void stop() throws Exception {
    if (proxy != null) {
      proxy.destroyForcibly();
      proxy.waitFor(10, TimeUnit.SECONDS);
    }
    if (upstream != null) {
      upstream.close();
    }
  }

  @Test
  void sigtermLetsRequestsInFlightFinishAndExitsZero() throws Exception {
    Duration drainTimeout = Duration.ofSeconds(10);
    upstream = TestUpstream.http1("slow");
    Ports ports = startProxy(drainTimeout);

    List<CompletableFuture<HttpResponse<String>>> http1 = new ArrayList<>();
    for (int i = 0; i < HTTP1_IN_FLIGHT; i++) {
      http1.add(
          http.sendAsync(
              HttpRequest.newBuilder(
                      URI.create(
                          "http://127.0.0.1:"
                              + ports.listener
                              + "/delay/"
                              + delayMillis()
                              + "/"
                              + i))
                  .timeout(Duration.ofSeconds(20))
                  .build(),
              HttpResponse.BodyHandlers.ofString()));
    }
    try (H2cClient h2 = new H2cClient(ports.listener)) {
      CompletableFuture<H2cClient.Result> stream =
          h2.get("127.0.0.1", "/delay/" + delayMillis() + "/h2");
      await().atMost(START_BOUND).until(() -> upstream.requests() >= HTTP1_IN_FLIGHT + 1);

      long signalled = System.nanoTime();
      proxy.destroy(); // SIGTERM

      H2cClient.GoAway goAway = h2.goAway().get(5, TimeUnit.SECONDS);
      assertThat(goAway.errorCode()).as("GOAWAY error code").isZero(); // NO_ERROR
      assertThat(goAway.lastStreamId()).isGreaterThanOrEqualTo(3);
      await().atMost(Duration.ofSeconds(5)).until(() -> status(ports.admin, "/ready") == 503);
      assertThat(status(ports.admin, "/live")).isEqualTo(200);
      await().atMost(Duration.ofSeconds(5)).until(() -> refused(ports.listener));

      assertThat(stream.get(20, TimeUnit.SECONDS).status()).isEqualTo(200);
      for (CompletableFuture<HttpResponse<String>> f : http1) {
        HttpResponse<String> response = f.get(20, TimeUnit.SECONDS);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("connection")).hasValue("close");
      }
      assertThat(proxy.waitFor(drainTimeout.plus(EXIT_MARGIN).toMillis(), TimeUnit.MILLISECONDS))
          .as("proxy exited")
          .isTrue();
      Duration took = Duration.ofNanos(System.nanoTime() - signalled);
      assertThat(proxy.exitValue()).as("exit status; output:%n%s", output()).isZero();
      assertThat(took).isLessThan(drainTimeout.plus(EXIT_MARGIN));
    }
    String out = output();
    assertThat(out)
        .containsPattern("draining: \\d+ open connections, " + (HTTP1_IN_FLIGHT + 1) + " requests")
        .containsPattern(
            "drained in \\d+ ms: " + (HTTP1_IN_FLIGHT + 1) + " requests completed, 0 cut");
  }

  @Test
  void drainTimeoutCutsWhatIsLeftAndStillExitsZero() throws Exception {
    Duration drainTimeout = Duration.ofMillis(300);
    upstream = TestUpstream.http1("slower");
    Ports ports = startProxy(drainTimeout);
    long delay = drainTimeout.toMillis() + Duration.ofSeconds(10).toMillis();
    CompletableFuture<HttpResponse<String>> slow =
        http.sendAsync(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + ports.listener + "/delay/" + delay))
                .timeout(Duration.ofSeconds(30))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    await().atMost(START_BOUND).until(() -> upstream.requests() >= 1);

    long signalled = System.nanoTime();
    proxy.destroy(); // SIGTERM
    assertThat(proxy.waitFor(drainTimeout.plus(EXIT_MARGIN).toMillis(), TimeUnit.MILLISECONDS))
        .as("proxy exited")
        .isTrue();
    Duration took = Duration.ofNanos(System.nanoTime() - signalled);
    assertThat(proxy.exitValue()).as("exit status; output:%n%s", output()).isZero();
    assertThat(took).isLessThan(Duration.ofMillis(delay));
    assertThat(slow).failsWithin(Duration.ofSeconds(5));
    assertThat(output()).contains("0 requests completed, 1 cut, 1 connections closed unfinished");
  }

  @Test
  void secondSigtermDuringTheDrainExitsAtOnce() throws Exception {
    Duration drainTimeout = Duration.ofSeconds(20);
    upstream = TestUpstream.http1("held");
    Ports ports = startProxy(drainTimeout);
    CompletableFuture<HttpResponse<String>> held =
        http.sendAsync(
            HttpRequest.newBuilder(
                    URI.create(
                        "http://127.0.0.1:" + ports.listener + "/delay/" + drainTimeout.toMillis()))
                .timeout(Duration.ofSeconds(30))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    await().atMost(START_BOUND).until(() -> upstream.requests() >= 1);

    proxy.destroy(); // SIGTERM: the drain waits for the held request
    await().atMost(Duration.ofSeconds(5)).until(() -> output().contains("draining:"));
    long second = System.nanoTime();
    proxy.destroy(); // SIGTERM again
    assertThat(proxy.waitFor(EXIT_MARGIN.toMillis(), TimeUnit.MILLISECONDS))
        .as("proxy exited")
        .isTrue();
    assertThat(Duration.ofNanos(System.nanoTime() - second)).isLessThan(EXIT_MARGIN);
    assertThat(proxy.exitValue()).as("exit status; output:%n%s", output()).isEqualTo(143);
    held.cancel(true);
  }

  private static long delayMillis() {
    return UPSTREAM_DELAY.toMillis();
  }

  record Ports(int listener, int admin) {}

  private Ports startProxy(Duration drainTimeout) throws Exception {
    int listener = freePort();
    int admin = freePort();
    Path routes = dir.resolve("routes.yaml");
    Files.writeString(
        routes,
        """
        listeners:
          - {name: main, address: 127.0.0.1:%d}
        clusters:
          - {name: slow, endpoints: [{address: %s}]}
        routes:
          - {name: all, match: {pathPrefix: /}, cluster: slow}
        """
            .formatted(listener, upstream.address()));
    Path settings = dir.resolve("proxy.yaml");
    Files.writeString(
        settings,
        """
        admin: {address: "127.0.0.1:%d"}
        plugins: {dir: plugins}
        accessLog: {format: "off"}
        limits: {drainTimeout: %dms}
        """
            .formatted(admin, drainTimeout.toMillis()));
    Files.createDirectories(dir.resolve("plugins"));
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    proxy =
        new ProcessBuilder(
                java,
                "-Dio.netty.leakDetection.level=paranoid",
                "-Dlogback.configurationFile=" + getClass().getResource("/logback.xml"),
                "-cp",
                System.getProperty("java.class.path"),
                "io.plugmesh.kernel.Main",
                "proxy",
                "--config",
                routes.toString(),
                "--settings",
                settings.toString(),
                "--plugin-watch",
                "off")
            .redirectErrorStream(true)
            .redirectOutput(new File(dir.toFile(), "proxy.out"))
            .start();
    await()
        .atMost(START_BOUND)
        .pollInterval(Duration.ofMillis(50))
        .until(() -> !proxy.isAlive() || readyOn(admin));
    assertThat(proxy.isAlive()).as("proxy running; output:%n%s", output()).isTrue();
    return new Ports(listener, admin);
  }

  private boolean readyOn(int admin) {
    try {
      return status(admin, "/ready") == 200;
    } catch (IOException e) {
      return false;
    }
  }

  private int status(int port, String path) throws IOException {
    try {
      return http.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                  .timeout(Duration.ofSeconds(2))
                  .build(),
              HttpResponse.BodyHandlers.discarding())
          .statusCode();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
  }

  /** Whether a new connection to the port is refused. */
  private static boolean refused(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
      return false;
    } catch (ConnectException e) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private String output() throws IOException {
    return Files.readString(dir.resolve("proxy.out"));
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
