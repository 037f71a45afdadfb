package io.plugmesh.pluginruntime;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.plugmesh.config.PluginEntry;
import io.plugmesh.config.RouteConfig;
import io.plugmesh.filters.Phase;
import io.plugmesh.filters.advanced.FilterMode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChainMetricsExpositionTest {
  @TempDir Path plugins;

  @Test
  void prometheusNamesAndHelpTexts() throws Exception {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    try (KernelServices services = KernelServices.defaults(registry, "mesh");
        PluginHost host =
            PluginHost.load(plugins, "0.1.0", List.of(TestFactory.passing("pass", Phase.CUSTOM)))) {
      BuiltChain chain =
          new ChainBuilder(host, services)
              .build(
                  new RouteConfig(
                      "reviews",
                      null,
                      List.of(),
                      Duration.ofSeconds(1),
                      List.of(new PluginEntry("pass", FilterMode.ENFORCE, Map.of()))),
                  1);
      TestRequest.run(chain, TestRequest.get("/"), new AtomicInteger());
      String text = registry.scrape();
      assertThat(text)
          .contains("# HELP mesh_plugin_decisions_total ")
          .contains(
              "mesh_plugin_decisions_total{decision=\"continue\",plugin=\"pass\",route=\"reviews\"} 1")
          .contains("# HELP mesh_plugin_duration_seconds ")
          .contains("mesh_plugin_duration_seconds_bucket{");
    }
  }
}
