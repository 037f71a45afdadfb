package io.plugmesh.plugins.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.plugmesh.filters.ConfigException;
import io.plugmesh.filters.ConfigNode;
import io.plugmesh.filters.testkit.FilterHarness;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.OptionalInt;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class FaultConfigTest {
  private final FaultFilterFactory factory = new FaultFilterFactory();

  private static ConfigException rejected(Map<String, ?> config) {
    try (FilterHarness h = FilterHarness.of(new FaultFilterFactory(), config)) {
      throw new AssertionError("accepted " + config + " as " + h);
    } catch (ConfigException e) {
      return e;
    }
  }

  @Test
  void minimalAbortTakesDefaults() {
    FaultConfig c = factory.parseConfig(ConfigNode.of(Map.of("abort", Map.of("httpStatus", 503))));
    assertThat(c.delay()).isEmpty();
    FaultConfig.Abort abort = c.abort().orElseThrow();
    assertThat(abort.httpStatus()).isEqualTo(503);
    assertThat(abort.grpcStatus()).isEqualTo(OptionalInt.empty());
    assertThat(abort.effectiveGrpcStatus()).isEqualTo(14);
    assertThat(abort.percentage()).isEqualTo(100.0);
    assertThat(abort.headerPercentage()).isFalse();
    assertThat(c.headers()).isEmpty();
    assertThat(c.maxActiveFaults()).isEqualTo(FaultConfig.DEFAULT_MAX_ACTIVE_FAULTS);
    // And the schema accepts it too.
    FilterHarness.of(factory, Map.of("abort", Map.of("httpStatus", 503))).close();
  }

  @Test
  void fullConfigParses() {
    Map<String, Object> config =
        Map.of(
            "delay", Map.of("fixed", "250ms", "percentage", 12.5, "headerPercentage", true),
            "abort",
                Map.of(
                    "httpStatus", 429, "grpcStatus", 8, "percentage", 0, "headerPercentage", true),
            "headers", Map.of("X-Fault", "on"),
            "maxActiveFaults", 7);
    FilterHarness.of(factory, config).close();
    FaultConfig c = factory.parseConfig(ConfigNode.of(config));
    assertThat(c.delay().orElseThrow())
        .isEqualTo(new FaultConfig.Delay(Duration.ofMillis(250), 12.5, true));
    assertThat(c.abort().orElseThrow().effectiveGrpcStatus()).isEqualTo(8);
    assertThat(c.abort().orElseThrow().percentage()).isZero();
    assertThat(c.headers()).containsExactly(Map.entry("x-fault", "on"));
    assertThat(c.maxActiveFaults()).isEqualTo(7);
  }

  @Test
  void grpcStatusIsMappedFromHttpStatusAsClientsDo() {
    assertThat(FaultConfig.grpcStatusFor(400)).isEqualTo(13);
    assertThat(FaultConfig.grpcStatusFor(401)).isEqualTo(16);
    assertThat(FaultConfig.grpcStatusFor(403)).isEqualTo(7);
    assertThat(FaultConfig.grpcStatusFor(404)).isEqualTo(12);
    assertThat(FaultConfig.grpcStatusFor(429)).isEqualTo(14);
    assertThat(FaultConfig.grpcStatusFor(500)).isEqualTo(2);
  }

  @Test
  void neitherDelayNorAbortIsRejected() {
    // the first schema violation is thrown, the others are attached as suppressed
    ConfigException e = rejected(Map.of("maxActiveFaults", 3));
    assertThat(Stream.concat(Stream.of(e), Arrays.stream(e.getSuppressed())))
        .extracting(Throwable::getMessage)
        .anyMatch(m -> m.contains("delay"))
        .anyMatch(m -> m.contains("abort"));
    assertThatThrownBy(() -> factory.parseConfig(ConfigNode.of(Map.of())))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("expected: at least one");
  }

  @Test
  void badStatusesAreNamed() {
    assertThat(rejected(Map.of("abort", Map.of("httpStatus", 99))).field())
        .isEqualTo("abort.httpStatus");
    assertThat(rejected(Map.of("abort", Map.of("httpStatus", 503, "grpcStatus", 0))).field())
        .isEqualTo("abort.grpcStatus");
    assertThat(rejected(Map.of("abort", Map.of())).field()).isEqualTo("abort.httpStatus");
    assertThatThrownBy(
            () ->
                factory.parseConfig(
                    ConfigNode.of(Map.of("abort", Map.of("httpStatus", 503, "grpcStatus", 17)))))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e -> {
              assertThat(e.field()).isEqualTo("abort.grpcStatus");
              assertThat(e.problem()).contains("expected: 1..16");
            });
  }

  @Test
  void badPercentagesAndDelaysAreNamed() {
    assertThat(rejected(Map.of("abort", Map.of("httpStatus", 503, "percentage", 101))).field())
        .isEqualTo("abort.percentage");
    assertThat(rejected(Map.of("delay", Map.of("fixed", "1s", "percentage", -1))).field())
        .isEqualTo("delay.percentage");
    assertThat(rejected(Map.of("delay", Map.of("fixed", "soon"))).field()).isEqualTo("delay.fixed");
    assertThat(rejected(Map.of("delay", Map.of("fixed", "0ms"))))
        .hasMessageContaining("delay.fixed")
        .hasMessageContaining("expected: more than 0, at most 1h");
    assertThat(rejected(Map.of("delay", Map.of("fixed", "2h"))).field()).isEqualTo("delay.fixed");
    assertThat(rejected(Map.of("delay", Map.of("percentage", 5))).field()).isEqualTo("delay.fixed");
  }

  @Test
  void unknownFieldsAndBadHeadersAreNamed() {
    assertThat(rejected(Map.of("abort", Map.of("httpStatus", 503), "colour", "red")).field())
        .isEqualTo("colour");
    assertThat(rejected(Map.of("abort", Map.of("httpStatus", 503, "body", "x"))).field())
        .isEqualTo("abort.body");
    assertThat(
            rejected(Map.of("abort", Map.of("httpStatus", 503), "headers", Map.of("x-fault", 1)))
                .field())
        .isEqualTo("headers.x-fault");
    assertThat(rejected(Map.of("abort", Map.of("httpStatus", 503), "maxActiveFaults", 0)).field())
        .isEqualTo("maxActiveFaults");
  }
}
