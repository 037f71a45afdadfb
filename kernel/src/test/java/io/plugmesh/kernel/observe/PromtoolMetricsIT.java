package io.plugmesh.kernel.observe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.plugmesh.filters.advanced.ResponseFlag;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Lints a full scrape with {@code promtool check metrics}. Without promtool the test fails when
 * {@code CI} is set and is skipped otherwise.
 */
class PromtoolMetricsIT {

  private static final long PROMTOOL_TIMEOUT_SECONDS = 60;

  /**
   * The one lint finding we accept (newer promtool versions report it): Istio's duration metric is
   * in milliseconds by design.
   */
  private static final Pattern ALLOWED =
      Pattern.compile(
          "mesh_request_duration_milliseconds(_\\w+)?\\s+use base unit \"seconds\" instead of"
              + " \"milliseconds\"");

  @TempDir Path dir;

  @Test
  void scrapePassesPromtoolCheckMetrics() throws Exception {
    Path promtool = promtool();
    PrometheusMeterRegistry registry = MetricsRegistryFactory.create();
    try {
      ProxyMetrics metrics = new ProxyMetrics(registry, ProxyMetrics.DEFAULT_PREFIX);
      metrics.record(RequestLogs.log("reviews-read", "reviews-v1", 200, Set.of()));
      metrics.record(
          RequestLogs.log(
              null,
              null,
              404,
              EnumSet.of(ResponseFlag.NO_ROUTE_FOUND, ResponseFlag.LOCAL_RESPONSE)));
      metrics.connectionOpened("inbound");
      metrics.setConfigVersion(3);
      AccessLogger.droppedCounter(registry, ProxyMetrics.DEFAULT_PREFIX).increment();

      String text = registry.scrape();
      assertThat(text).contains("mesh_requests_total{").contains("jvm_memory_used_bytes{");
      Path scrape = dir.resolve("scrape.prom");
      Files.writeString(scrape, text, StandardCharsets.UTF_8);

      Process process =
          new ProcessBuilder(promtool.toString(), "check", "metrics")
              .redirectInput(scrape.toFile())
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("promtool.out").toFile())
              .start();
      if (!process.waitFor(PROMTOOL_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        fail("promtool check metrics did not finish within " + PROMTOOL_TIMEOUT_SECONDS + "s");
      }
      List<String> findings =
          Files.readAllLines(dir.resolve("promtool.out")).stream()
              .map(String::trim)
              .filter(line -> !line.isEmpty())
              .filter(line -> !ALLOWED.matcher(line).find())
              .toList();
      assertThat(findings)
          .as("promtool check metrics findings (exit %d) on:%n%s", process.exitValue(), text)
          .isEmpty();
    } finally {
      registry.close();
    }
  }

  private static Path promtool() {
    Optional<Path> found =
        Pattern.compile(Pattern.quote(File.pathSeparator))
            .splitAsStream(Optional.ofNullable(System.getenv("PATH")).orElse(""))
            .filter(d -> !d.isEmpty())
            .map(d -> Path.of(d, "promtool"))
            .filter(Files::isExecutable)
            .findFirst();
    String missing =
        "promtool not found on PATH; install it with"
            + " 'apt-get install -y --no-install-recommends prometheus'";
    if (found.isEmpty()) {
      String ci = System.getenv("CI");
      if (ci != null && !ci.isEmpty() && !ci.equalsIgnoreCase("false")) {
        fail(missing + " (required when CI is set)");
      }
      Assumptions.abort(missing + "; skipping the lint outside CI");
    }
    return found.get();
  }
}
