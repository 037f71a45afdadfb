package io.plugmesh.control.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.plugmesh.control.server.testing.ControlFixture;
import io.plugmesh.control.server.testing.EtcdProcess;
import io.plugmesh.control.server.testing.TestFilters;
import io.plugmesh.control.server.testing.TestProxy;
import io.plugmesh.kernel.control.ControlClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real kernel whose control service goes away and comes back on the same port: the proxy
 * reconnects within its backoff cap plus jitter, and a proxy without config is ready soon after the
 * control service first appears.
 */
class ControlReconnectIT {
  /** The first reconnect delay the proxy under test uses. */
  static final Duration INITIAL_BACKOFF = Duration.ofMillis(100);

  /** The backoff cap the proxy under test uses (short so the test is fast). */
  static final Duration MAX_BACKOFF = Duration.ofSeconds(2);

  /**
   * How long the control service stays away: long enough for the backoff to reach its cap (after
   * 3.1 s), and, were gRPC's own reconnect backoff still stacked under it (1 s × 1.6^n ± 20 %), to
   * fall between two of its attempts (around 5.2 s and 9.3 s).
   */
  static final Duration DOWNTIME = Duration.ofSeconds(6);

  /** How often the control service is restarted. */
  static final int RESTARTS = 5;

  /** Slack for thread scheduling on a busy machine, on top of the documented bounds. */
  static final Duration TOLERANCE = Duration.ofMillis(500);

  /** The documented bound for a proxy without config: ready within 2 s of the control service. */
  static final Duration UNCONFIGURED_READY = Duration.ofSeconds(2);

  /** How long the control service is absent before a proxy without config first sees it. */
  static final Duration ABSENT = Duration.ofSeconds(8);

  /** How long one bind of a port just released may be retried. */
  static final int BIND_ATTEMPTS = 50;

  static final String CONFIG =
      """
      listeners:
        - {name: in, address: "127.0.0.1:0"}
      clusters:
        - {name: backend, endpoints: [{address: "127.0.0.1:9"}]}
      routes:
        - {name: all, match: {pathPrefix: /}, cluster: backend}
      """;

  @TempDir Path dir;
  ControlServer server;
  TestProxy proxy;

  @AfterEach
  void stop() {
    if (proxy != null) {
      proxy.close();
    }
    if (server != null) {
      server.close();
    }
  }

  /** Starts a file-mode replica on {@code port}, which was released a moment ago. */
  ControlServer startOn(int port) throws Exception {
    IOException last = null;
    for (int i = 0; i < BIND_ATTEMPTS; i++) {
      try {
        return ControlFixture.files(dir.resolve("store"), port);
      } catch (IOException e) {
        last = e;
        Thread.sleep(100);
      }
    }
    throw last;
  }

  /**
   * Runs one push to a proxy and back, so that loading classes in this test JVM (which a real
   * control service and proxy each do in their own process, long before) is not timed.
   */
  void warmUp() throws Exception {
    try (ControlServer warm = ControlFixture.files(dir.resolve("warm-up"))) {
      assertThat(warm.operations().apply(CONFIG, false).getProblemsList()).isEmpty();
      try (TestProxy p =
          TestProxy.start(
              "warm-up", "web", List.of(ControlFixture.address(warm)), null, TestFilters.all())) {
        await().atMost(Duration.ofSeconds(30)).until(() -> p.admin("/ready").statusCode() == 200);
      }
    }
  }

  @Test
  void reconnectsWithinTheBackoffCapEachTimeTheControlServiceComesBack() throws Exception {
    server = ControlFixture.files(dir.resolve("store"));
    assertThat(server.operations().apply(CONFIG, false).getProblemsList()).isEmpty();
    int port = server.grpcPort();
    proxy =
        TestProxy.start(
            "p1",
            "web",
            List.of(ControlFixture.address(server)),
            null,
            TestFilters.all(),
            INITIAL_BACKOFF,
            MAX_BACKOFF);
    await().atMost(Duration.ofSeconds(10)).until(proxy.client::connected);

    long boundMillis =
        (long) (MAX_BACKOFF.toMillis() * (1 + ControlClient.BACKOFF_JITTER)) + TOLERANCE.toMillis();
    List<Long> took = new ArrayList<>();
    for (int i = 0; i < RESTARTS; i++) {
      server.shutdownNow();
      server = null;
      await().atMost(Duration.ofSeconds(10)).until(() -> !proxy.client.connected());
      Thread.sleep(DOWNTIME.toMillis());
      long back = System.nanoTime();
      server = startOn(port);
      await()
          .pollInterval(Duration.ofMillis(10))
          .atMost(Duration.ofSeconds(60))
          .until(proxy.client::connected);
      took.add((System.nanoTime() - back) / 1_000_000);
    }
    System.out.printf("reconnects after the control service came back (ms): %s%n", took);
    assertThat(took)
        .as("reconnect after each restart, ms (expected: <= %d, cap + jitter + slack)", boundMillis)
        .allSatisfy(ms -> assertThat(ms).isLessThanOrEqualTo(boundMillis));
    assertThat(proxy.admin("/ready").body()).contains("\"stale\":false");
  }

  @Test
  void aProxyWithoutConfigIsReadySoonAfterTheControlServiceAppears() throws Exception {
    warmUp();
    Files.createDirectories(dir.resolve("store"));
    Files.writeString(dir.resolve("store").resolve("mesh.yaml"), CONFIG);
    int port = EtcdProcess.freePort();
    // the default backoff, as a real proxy has it
    proxy =
        TestProxy.start(
            "p1", "web", List.of("127.0.0.1:" + port), null, TestFilters.all(), null, null);
    Thread.sleep(ABSENT.toMillis());
    assertThat(proxy.admin("/ready").statusCode()).isEqualTo(503);

    long appeared = System.nanoTime();
    server = startOn(port);
    await()
        .pollInterval(Duration.ofMillis(10))
        .atMost(Duration.ofSeconds(30))
        .until(() -> proxy.admin("/ready").statusCode() == 200);
    long tookMillis = (System.nanoTime() - appeared) / 1_000_000;
    System.out.printf("ready %d ms after the control service appeared%n", tookMillis);
    assertThat(tookMillis)
        .as("ready after the control service appeared, ms")
        .isLessThanOrEqualTo(UNCONFIGURED_READY.toMillis());
  }
}
