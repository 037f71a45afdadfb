package io.plugmesh.control.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.plugmesh.control.api.v1.ProxyStatus;
import io.plugmesh.control.server.testing.ControlFixture;
import io.plugmesh.control.server.testing.EtcdProcess;
import io.plugmesh.kernel.testing.TestUpstream;
import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A proxy in its own JVM, restarted while the control service is down. */
class ProxyRestartIT {
  @TempDir Path dir;
  Process proxy;
  ControlServer server;
  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  @AfterEach
  void stop() throws Exception {
    if (proxy != null) {
      proxy.destroyForcibly();
      proxy.waitFor(10, TimeUnit.SECONDS);
    }
    if (server != null) {
      server.shutdownNow();
    }
  }

  Process startProxy(int controlPort, int adminPort, String log) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    return new ProcessBuilder(
            java,
            "-cp",
            System.getProperty("java.class.path"),
            "io.plugmesh.kernel.Main",
            "proxy",
            "--control",
            "127.0.0.1:" + controlPort,
            "--node-id",
            "p1",
            "--service",
            "web",
            "--state-dir",
            dir.resolve("state").toString(),
            "--admin",
            "127.0.0.1:" + adminPort,
            "--plugins",
            dir.resolve("plugins").toString())
        .redirectErrorStream(true)
        .redirectOutput(new File(dir.toFile(), log))
        .start();
  }

  HttpResponse<String> get(int port, String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(5))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  boolean answers(int port, String path, int status) {
    try {
      return get(port, path).statusCode() == status;
    } catch (Exception e) {
      return false;
    }
  }

  @Test
  void restartedWithoutTheControlServiceServesThePersistedConfigAsStale() throws Exception {
    int listenerPort = EtcdProcess.freePort();
    int adminPort = EtcdProcess.freePort();
    try (TestUpstream upstream = TestUpstream.http1("backend")) {
      server = ControlFixture.files(dir.resolve("store"));
      String config =
          """
          listeners:
            - {name: in, address: "127.0.0.1:%d"}
          clusters:
            - {name: backend, endpoints: [{address: "%s"}]}
          routes:
            - {name: all, match: {pathPrefix: /}, cluster: backend}
          """
              .formatted(listenerPort, upstream.address());
      assertThat(server.operations().apply(config, false).getProblemsList()).isEmpty();
      int controlPort = server.grpcPort();
      long t0 = System.nanoTime();
      proxy = startProxy(controlPort, adminPort, "proxy-1.log");
      await().atMost(Duration.ofSeconds(30)).until(() -> answers(listenerPort, "/echo", 200));
      await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () ->
                  server.operations().status().getProxiesList().stream()
                      .anyMatch(s -> s.getNodeId().equals("p1") && !s.getAckedVersion().isEmpty()));
      String acked =
          server.operations().status().getProxiesList().stream()
              .filter(s -> s.getNodeId().equals("p1"))
              .map(ProxyStatus::getAckedVersion)
              .findFirst()
              .orElseThrow();
      assertThat(get(adminPort, "/ready").body()).contains("\"stale\":false");
      long t1 = System.nanoTime();

      // the control service goes away, then the proxy restarts
      server.shutdownNow();
      server = null;
      proxy.destroy();
      assertThat(proxy.waitFor(20, TimeUnit.SECONDS)).isTrue();
      long t2 = System.nanoTime();
      proxy = startProxy(controlPort, adminPort, "proxy-2.log");
      await().atMost(Duration.ofSeconds(30)).until(() -> answers(listenerPort, "/echo", 200));
      long t3 = System.nanoTime();
      System.out.printf(
          "proxy process: first start to serving %d ms, stop %d ms, restart to serving %d ms%n",
          (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000, (t3 - t2) / 1_000_000);
      HttpResponse<String> ready = get(adminPort, "/ready");
      assertThat(ready.body()).contains("\"stale\":true").contains(acked);
      assertThat(upstream.requests()).isGreaterThanOrEqualTo(2);
      // and it keeps serving while the control service stays away
      for (int i = 0; i < 20; i++) {
        assertThat(get(listenerPort, "/echo").statusCode()).isEqualTo(200);
      }
    }
  }
}
