package io.plugmesh.control.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.plugmesh.control.api.PluginDescriptors;
import io.plugmesh.control.api.v1.PluginDescriptor;
import io.plugmesh.control.api.v1.ProxyStatus;
import io.plugmesh.control.server.testing.ControlFixture;
import io.plugmesh.control.server.testing.StreamProxy;
import io.plugmesh.control.server.testing.TestFilters;
import io.plugmesh.control.server.testing.TestProxy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 1,000 routes to 100 connected proxies: {@value #KERNELS} real kernels and the rest protocol-level
 * proxies (a kernel each would measure 100 kernels rebuilding 1,000 chains on this machine's cores,
 * not the control service). Measures the time from a config change to every proxy having
 * acknowledged it. Prints the numbers; asserts only correctness.
 */
public class ScaleIT {
  static final int ROUTES = 1000;
  static final int PROXIES = 100;
  static final int KERNELS = 2;

  @TempDir Path dir;
  ControlServer server;
  final List<TestProxy> proxies = new ArrayList<>();
  final List<StreamProxy> streams = new ArrayList<>();

  @AfterEach
  void stop() throws Exception {
    proxies.forEach(TestProxy::close);
    for (StreamProxy s : streams) {
      s.close();
    }
    if (server != null) {
      server.close();
    }
  }

  public static String config(String changed) {
    StringBuilder sb = new StringBuilder();
    sb.append("clusters:\n");
    for (int c = 0; c < 10; c++) {
      sb.append("  - {name: c")
          .append(c)
          .append(", endpoints: [{address: \"127.0.0.1:")
          .append(9000 + c)
          .append("\"}]}\n");
    }
    sb.append("routes:\n");
    for (int r = 0; r < ROUTES; r++) {
      String value = r == ROUTES / 2 ? changed : "v" + r;
      sb.append("  - {name: r")
          .append(r)
          .append(", match: {pathPrefix: /r")
          .append(r)
          .append("}, cluster: c")
          .append(r % 10)
          .append(", plugins: [{name: tag, config: {value: \"")
          .append(value)
          .append("\"}}]}\n");
    }
    return sb.toString();
  }

  long awaitAllAcked(String version) {
    long start = System.nanoTime();
    await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(10))
        .until(
            () -> {
              List<ProxyStatus> all = server.operations().status().getProxiesList();
              return all.size() == PROXIES
                  && all.stream().allMatch(s -> s.getAckedVersion().equals(version));
            });
    return (System.nanoTime() - start) / 1_000_000;
  }

  @Test
  void thousandRoutesToHundredProxies() throws Exception {
    server = ControlFixture.files(dir.resolve("store"));
    List<String> servers = List.of(ControlFixture.address(server));
    for (int i = 0; i < KERNELS; i++) {
      proxies.add(TestProxy.start("p" + i, "web", servers, null, TestFilters.all()));
    }
    List<PluginDescriptor> plugins = PluginDescriptors.of(proxies.get(0).kernel.plugins());
    for (int i = KERNELS; i < PROXIES; i++) {
      streams.add(new StreamProxy(servers.get(0), "p" + i, "web", plugins));
    }
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                server.operations().status().getProxiesList().stream()
                        .filter(ProxyStatus::getConnected)
                        .count()
                    == PROXIES);

    long t0 = System.nanoTime();
    assertThat(server.operations().apply(config("first"), false).getProblemsList()).isEmpty();
    long applyMillis = (System.nanoTime() - t0) / 1_000_000;
    String v1 = server.operations().proxyConfig("p0").orElseThrow().getVersion();
    awaitAllAcked(v1);
    long fullMillis = (System.nanoTime() - t0) / 1_000_000;

    List<Long> changes = new ArrayList<>();
    List<Long> applies = new ArrayList<>();
    List<Long> streamsOnly = new ArrayList<>();
    String version = v1;
    for (int round = 0; round < 3; round++) {
      long c0 = System.nanoTime();
      assertThat(server.operations().apply(config("changed-" + round), false).getProblemsList())
          .isEmpty();
      applies.add((System.nanoTime() - c0) / 1_000_000);
      String next = server.operations().proxyConfig("p0").orElseThrow().getVersion();
      assertThat(next).isNotEqualTo(version);
      version = next;
      String v = version;
      await()
          .atMost(Duration.ofSeconds(120))
          .pollInterval(Duration.ofMillis(5))
          .until(() -> streams.stream().allMatch(p -> p.version().equals(v)));
      streamsOnly.add((System.nanoTime() - c0) / 1_000_000);
      awaitAllAcked(version);
      changes.add((System.nanoTime() - c0) / 1_000_000);
    }
    for (TestProxy p : proxies) {
      assertThat(p.version()).isEqualTo(version);
    }
    for (StreamProxy p : streams) {
      assertThat(p.version()).isEqualTo(version);
    }
    System.out.printf(
        "SCALE %d routes x %d proxies (%d kernels): first apply (validate+store) %d ms, first full push"
            + " to all ACKed %d ms; one-route change to all ACKed: %s ms (of which the apply"
            + " call, parsing and validating the 1,000-route document: %s ms; all %d"
            + " protocol-level proxies had it after %s ms)%n",
        ROUTES,
        PROXIES,
        KERNELS,
        applyMillis,
        fullMillis,
        changes,
        applies,
        PROXIES - KERNELS,
        streamsOnly);
  }
}
