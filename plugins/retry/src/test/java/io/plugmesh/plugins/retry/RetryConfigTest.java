package io.plugmesh.plugins.retry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.plugmesh.filters.ConfigException;
import io.plugmesh.filters.ConfigNode;
import io.plugmesh.filters.testkit.FilterHarness;
import io.plugmesh.plugins.retry.RetryConfig.Condition;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RetryConfigTest {
  private final RetryFilterFactory factory = new RetryFilterFactory();

  private static ConfigException rejected(Map<String, ?> config) {
    try (FilterHarness h = FilterHarness.of(new RetryFilterFactory(), config)) {
      throw new AssertionError("accepted " + config + " as " + h);
    } catch (ConfigException e) {
      return e;
    }
  }

  private RetryConfig parse(Map<String, ?> config) {
    FilterHarness.of(factory, config).close(); // the schema accepts it too
    return factory.parseConfig(ConfigNode.of(config));
  }

  @Test
  void emptyConfigTakesDefaults() {
    RetryConfig c = parse(Map.of());
    assertThat(c.attempts()).isEqualTo(2);
    assertThat(c.retryOn())
        .containsExactlyInAnyOrder(
            Condition.CONNECT_FAILURE,
            Condition.REFUSED_STREAM,
            Condition.RESET,
            Condition.GATEWAY_ERROR);
    assertThat(c.retriableStatusCodes()).isEmpty();
    assertThat(c.methods())
        .containsExactlyInAnyOrder("GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE");
    assertThat(c.perTryTimeout()).isEmpty();
    assertThat(c.backoff())
        .isEqualTo(new RetryConfig.Backoff(Duration.ofMillis(25), Duration.ofMillis(250)));
    assertThat(c.maxRetryAfter()).isEqualTo(Duration.ofSeconds(10));
    assertThat(c.budget()).isEqualTo(new RetryConfig.Budget(20, 10, Duration.ofSeconds(10)));
    assertThat(c.maxReplayBytes()).isEqualTo(65536);
    assertThat(factory.replay(c)).isEqualTo(65536);
  }

  @Test
  void fullConfigParses() {
    RetryConfig c =
        parse(
            Map.of(
                "attempts", 4,
                "retryOn", List.of("5xx", "retriable-status-codes", "retriable-4xx"),
                "retriableStatusCodes", List.of(429),
                "methods", List.of("get", "POST"),
                "perTryTimeout", "300ms",
                "backoff", Map.of("base", "10ms"),
                "maxRetryAfter", "2s",
                "budget", Map.of("percent", 50.5, "minRetries", 0, "window", "30s"),
                "maxReplayBytes", 1024));
    assertThat(c.attempts()).isEqualTo(4);
    assertThat(c.retryOn())
        .containsExactlyInAnyOrder(
            Condition.FIVE_XX, Condition.RETRIABLE_STATUS_CODES, Condition.RETRIABLE_4XX);
    assertThat(c.retriableStatusCodes()).containsExactly(429);
    assertThat(c.methods()).containsExactlyInAnyOrder("GET", "POST");
    assertThat(c.perTryTimeout()).isEqualTo(Optional.of(Duration.ofMillis(300)));
    assertThat(c.backoff().max()).isEqualTo(Duration.ofMillis(100)); // 10 x base
    assertThat(c.maxRetryAfter()).isEqualTo(Duration.ofSeconds(2));
    assertThat(c.budget()).isEqualTo(new RetryConfig.Budget(50.5, 0, Duration.ofSeconds(30)));
    assertThat(c.maxReplayBytes()).isEqualTo(1024);
  }

  @Test
  void backoffCeilingsDoubleUpToTheMax() {
    RetryConfig.Backoff b = new RetryConfig.Backoff(Duration.ofMillis(25), Duration.ofMillis(150));
    assertThat(b.ceilingNanos(1)).isEqualTo(Duration.ofMillis(25).toNanos());
    assertThat(b.ceilingNanos(2)).isEqualTo(Duration.ofMillis(50).toNanos());
    assertThat(b.ceilingNanos(3)).isEqualTo(Duration.ofMillis(100).toNanos());
    assertThat(b.ceilingNanos(4)).isEqualTo(Duration.ofMillis(150).toNanos());
    assertThat(b.ceilingNanos(9)).isEqualTo(Duration.ofMillis(150).toNanos());
  }

  @Test
  void outOfRangeNumbersAreNamed() {
    assertThat(rejected(Map.of("attempts", 0)).field()).isEqualTo("attempts");
    assertThat(rejected(Map.of("attempts", 11)).field()).isEqualTo("attempts");
    assertThat(rejected(Map.of("maxReplayBytes", 0)).field()).isEqualTo("maxReplayBytes");
    assertThat(rejected(Map.of("budget", Map.of("percent", 101))).field())
        .isEqualTo("budget.percent");
    assertThat(rejected(Map.of("budget", Map.of("minRetries", -1))).field())
        .isEqualTo("budget.minRetries");
    assertThat(
            rejected(
                    Map.of(
                        "retriableStatusCodes",
                        List.of(600),
                        "retryOn",
                        List.of("retriable-status-codes")))
                .field())
        .isEqualTo("retriableStatusCodes[0]");
  }

  @Test
  void unknownConditionsAndFieldsAreNamed() {
    assertThat(rejected(Map.of("retryOn", List.of("5xx", "sometimes"))).field())
        .isEqualTo("retryOn[1]");
    assertThatThrownBy(
            () -> factory.parseConfig(ConfigNode.of(Map.of("retryOn", List.of("sometimes")))))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e -> {
              assertThat(e.field()).isEqualTo("retryOn[0]");
              assertThat(e.problem())
                  .isEqualTo(
                      "\"sometimes\" (expected: 5xx | gateway-error | reset | connect-failure"
                          + " | refused-stream | retriable-status-codes | retriable-4xx)");
            });
    assertThat(rejected(Map.of("retries", 3)).field()).isEqualTo("retries");
    assertThat(rejected(Map.of("backoff", Map.of("jitter", true))).field())
        .isEqualTo("backoff.jitter");
    assertThat(rejected(Map.of("methods", List.of("GET POST"))).field()).isEqualTo("methods[0]");
  }

  @Test
  void durationsAreCheckedAndNamed() {
    assertThat(rejected(Map.of("perTryTimeout", "soon")).field()).isEqualTo("perTryTimeout");
    assertThat(rejected(Map.of("perTryTimeout", "0ms")))
        .hasMessageContaining("perTryTimeout")
        .hasMessageContaining("more than 0");
    assertThat(rejected(Map.of("maxRetryAfter", "2h")).field()).isEqualTo("maxRetryAfter");
    assertThat(rejected(Map.of("budget", Map.of("window", "100ms"))))
        .hasMessageContaining("budget.window")
        .hasMessageContaining("1s..1h");
    assertThat(rejected(Map.of("backoff", Map.of("base", "1s", "max", "10ms"))))
        .hasMessageContaining("backoff")
        .hasMessageContaining("expected: base <= max");
  }

  @Test
  void statusCodesAndTheirConditionGoTogether() {
    assertThat(rejected(Map.of("retryOn", List.of("retriable-status-codes"))))
        .hasMessageContaining("retriableStatusCodes is empty");
    assertThat(rejected(Map.of("retriableStatusCodes", List.of(429))))
        .hasMessageContaining("retriableStatusCodes")
        .hasMessageContaining("retryOn lacks retriable-status-codes");
    assertThat(
            parse(
                    Map.of(
                        "retryOn",
                        List.of("retriable-status-codes"),
                        "retriableStatusCodes",
                        List.of(503, 429)))
                .retriableStatusCodes())
        .isEqualTo(Set.of(503, 429));
  }
}
