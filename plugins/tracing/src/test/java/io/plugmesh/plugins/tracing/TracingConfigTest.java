package io.plugmesh.plugins.tracing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.plugmesh.filters.ConfigException;
import io.plugmesh.filters.ConfigNode;
import io.plugmesh.filters.testkit.FilterHarness;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TracingConfigTest {
  private final TracingFilterFactory factory = new TracingFilterFactory(export -> null);

  @Test
  void defaults() {
    TracingConfig c = TracingConfig.parse(ConfigNode.of(Map.of()));
    assertThat(c.serviceName()).isEqualTo("plugmesh");
    assertThat(c.extract())
        .containsExactly(
            TracingConfig.Format.TRACECONTEXT,
            TracingConfig.Format.B3,
            TracingConfig.Format.B3MULTI);
    assertThat(c.inject()).containsExactly(TracingConfig.Format.TRACECONTEXT);
    assertThat(c.sampling().ratio()).isEqualTo(1.0);
    assertThat(c.sampling().respectParent()).isTrue();
    assertThat(c.sampling().forceHeader()).isEqualTo("x-plugmesh-force-trace");
    assertThat(c.export().protocol()).isEqualTo(TracingConfig.Protocol.GRPC);
    assertThat(c.export().endpoint()).isEqualTo("http://localhost:4317");
    assertThat(c.export().timeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(c.export().maxQueueSize()).isEqualTo(2048);
    assertThat(c.export().maxExportBatchSize()).isEqualTo(512);
    assertThat(c.export().scheduleDelay()).isEqualTo(Duration.ofSeconds(5));
  }

  @Test
  void fullConfig() {
    TracingConfig c =
        TracingConfig.parse(
            ConfigNode.of(
                Map.of(
                    "serviceName", "reviews",
                    "extract", List.of("b3"),
                    "inject", List.of("tracecontext", "b3multi"),
                    "sampling",
                        Map.of("ratio", 0.25, "respectParent", false, "forceHeader", "X-Force"),
                    "exporter",
                        Map.of(
                            "protocol", "http/protobuf",
                            "timeout", "2s",
                            "headers", Map.of("api-key", "secret")),
                    "batch",
                        Map.of(
                            "maxQueueSize",
                            100,
                            "maxExportBatchSize",
                            10,
                            "scheduleDelay",
                            "50ms"))));
    assertThat(c.extract()).containsExactly(TracingConfig.Format.B3);
    assertThat(c.inject())
        .containsExactly(TracingConfig.Format.TRACECONTEXT, TracingConfig.Format.B3MULTI);
    assertThat(c.sampling().ratio()).isEqualTo(0.25);
    assertThat(c.sampling().forceHeader()).isEqualTo("x-force");
    assertThat(c.export().endpoint()).isEqualTo("http://localhost:4318/v1/traces");
    assertThat(c.export().headers()).containsEntry("api-key", "secret");
    assertThat(c.export().toString()).doesNotContain("secret");
    assertThat(c.export().maxQueueSize()).isEqualTo(100);
    assertThat(c.export().scheduleDelay()).isEqualTo(Duration.ofMillis(50));
  }

  @Test
  void exportSettingsDecideSharing() {
    TracingConfig a = TracingConfig.parse(ConfigNode.of(Map.of("sampling", Map.of("ratio", 0.1))));
    TracingConfig b = TracingConfig.parse(ConfigNode.of(Map.of("sampling", Map.of("ratio", 0.9))));
    TracingConfig c =
        TracingConfig.parse(
            ConfigNode.of(Map.of("exporter", Map.of("endpoint", "http://127.0.0.1:1"))));
    assertThat(a.export().sharedKey()).isEqualTo(b.export().sharedKey());
    assertThat(a.export().sharedKey()).isNotEqualTo(c.export().sharedKey());
  }

  private void rejects(Map<String, ?> config, String... fragments) {
    assertThatThrownBy(() -> FilterHarness.of(factory, config))
        .isInstanceOf(ConfigException.class)
        .message()
        .contains(fragments);
  }

  @Test
  void schemaAndParserErrorsNameTheField() {
    rejects(Map.of("unknown", 1), "unknown");
    rejects(Map.of("sampling", Map.of("ratio", 1.5)), "ratio");
    rejects(Map.of("sampling", Map.of("ratio", -0.1)), "ratio");
    rejects(Map.of("extract", List.of("jaeger")), "extract");
    rejects(Map.of("inject", List.of()), "inject");
    rejects(Map.of("exporter", Map.of("protocol", "thrift")), "protocol");
    rejects(Map.of("exporter", Map.of("endpoint", "localhost:4317")), "endpoint");
    rejects(Map.of("exporter", Map.of("timeout", "soon")), "timeout");
    rejects(Map.of("batch", Map.of("maxQueueSize", 0)), "maxQueueSize");
    rejects(
        Map.of("batch", Map.of("maxQueueSize", 10, "maxExportBatchSize", 20)),
        "maxExportBatchSize");
    rejects(Map.of("serviceName", ""), "serviceName");
  }

  @Test
  void parserChecksWhatTheSchemaCannot() {
    assertThatThrownBy(
            () -> TracingConfig.parse(ConfigNode.of(Map.of("extract", List.of("b3", "b3")))))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("extract[1]")
        .hasMessageContaining("twice");
    assertThatThrownBy(
            () ->
                TracingConfig.parse(
                    ConfigNode.of(
                        Map.of("batch", Map.of("maxQueueSize", 5, "maxExportBatchSize", 6)))))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("batch.maxExportBatchSize")
        .hasMessageContaining("<= maxQueueSize 5");
    assertThatThrownBy(
            () -> TracingConfig.parse(ConfigNode.of(Map.of("exporter", Map.of("timeout", "0s")))))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("exporter.timeout");
  }
}
