package io.plugmesh.plugins.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.plugmesh.filters.ConfigException;
import io.plugmesh.filters.ConfigNode;
import io.plugmesh.filters.advanced.FilterMode;
import io.plugmesh.filters.testkit.FilterHarness;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class RateLimitConfigTest {

  private static RateLimitConfig parse(Map<String, ?> config) {
    // Schema and parser as the proxy runs them (OFF: validated, not created: no Redis client).
    FilterHarness.builder()
        .add(new RateLimitFilterFactory(), config, FilterMode.OFF)
        .build()
        .close();
    return new RateLimitFilterFactory().parseConfig(ConfigNode.of(config));
  }

  private static ConfigException invalid(Map<String, ?> config) {
    try {
      FilterHarness.builder()
          .add(new RateLimitFilterFactory(), config, FilterMode.OFF)
          .build()
          .close();
    } catch (ConfigException e) {
      return e;
    }
    throw new AssertionError("config was accepted: " + config);
  }

  @Test
  void shorthandIsOneLimitKeyedByRouteWithDraftHeaders() {
    RateLimitConfig c = parse(Map.of("tokens", 10, "per", "1s"));

    assertThat(c.mode()).isEqualTo(RateLimitConfig.Mode.LOCAL);
    assertThat(c.key()).containsExactly(new KeyPart.Route());
    assertThat(c.limits().limits())
        .containsExactly(
            new Limit("10-per-1s", 10, Duration.ofSeconds(1), 10, Limit.Refill.GREEDY));
    assertThat(c.headers()).isEqualTo(RateLimitConfig.HeaderStyle.DRAFT);
    assertThat(c.maxKeys()).isEqualTo(RateLimitConfig.DEFAULT_MAX_KEYS);
    assertThat(c.effectiveIdleTimeout()).isEqualTo(Duration.ofSeconds(1));
    assertThat(c.redis()).isNull();
  }

  @Test
  void severalLimitsCombinedKeyOverridesAndRedis() {
    RateLimitConfig c =
        parse(
            Map.of(
                "mode", "global",
                "key", List.of("route", "claim:client_id"),
                "limits",
                    List.of(
                        Map.of("name", "burst", "tokens", 10, "per", "1s", "capacity", 20),
                        Map.of("name", "daily", "tokens", 1000, "per", "1d", "refill", "interval")),
                "defaultLimits", List.of(Map.of("tokens", 1, "per", "1s")),
                "overrides",
                    List.of(
                        Map.of(
                            "match", Map.of("claim:client_id", "acme"),
                            "limits", List.of(Map.of("tokens", 100, "per", "1s")))),
                "headers", "legacy",
                "redis",
                    Map.of(
                        "uri", "redis://127.0.0.1:6390",
                        "failurePolicy", "closed",
                        "timeout", "20ms")));

    assertThat(c.key()).containsExactly(new KeyPart.Route(), new KeyPart.Claim("client_id"));
    assertThat(c.limits().limits()).extracting(Limit::name).containsExactly("burst", "daily");
    assertThat(c.limits().limits().get(0).capacity()).isEqualTo(20);
    assertThat(c.limits().limits().get(1).refill()).isEqualTo(Limit.Refill.INTERVAL);
    assertThat(c.redis().failurePolicy()).isEqualTo(RateLimitConfig.FailurePolicy.CLOSED);
    assertThat(c.redis().timeout()).isEqualTo(Duration.ofMillis(20));
    assertThat(c.redis().keyPrefix()).isEqualTo(RateLimitConfig.Redis.DEFAULT_KEY_PREFIX);
    assertThat(c.overrides()).hasSize(1);
    // Idle keys are kept until their slowest limit would have refilled them: a day.
    assertThat(c.effectiveIdleTimeout()).isEqualTo(Duration.ofDays(1));
  }

  @Test
  void redisDefaultsAreFailOpenWithinFiftyMilliseconds() {
    RateLimitConfig c =
        parse(
            Map.of(
                "mode", "global", "tokens", 5, "per", "1m", "redis", Map.of("uri", "redis://h:1")));
    assertThat(c.redis().timeout()).isEqualTo(Duration.ofMillis(50));
    assertThat(c.redis().failurePolicy()).isEqualTo(RateLimitConfig.FailurePolicy.OPEN);
    assertThat(c.redis().fallbackLimits()).isNull();
  }

  @Test
  void globalModeNeedsRedis() {
    ConfigException e = invalid(Map.of("mode", "global", "tokens", 1, "per", "1s"));
    assertThat(e).hasMessageContaining("redis");
  }

  @Test
  void aLimitIsRequiredAndOnlyOneShape() {
    // as the proxy lists every violation, the harness attaches all but the first as suppressed
    ConfigException noLimit = invalid(Map.of("key", "ip"));
    assertThat(Stream.concat(Stream.of(noLimit), Arrays.stream(noLimit.getSuppressed())))
        .extracting(Throwable::getMessage)
        .anyMatch(m -> m.contains("tokens"));
    assertThat(
            invalid(
                Map.of(
                    "tokens", 1, "per", "1s", "limits", List.of(Map.of("tokens", 1, "per", "1s")))))
        .isNotNull();
  }

  @Test
  void unknownFieldsAndBadValuesAreNamed() {
    assertThat(invalid(Map.of("tokens", 1, "per", "1s", "burst", 3)).field()).isEqualTo("burst");
    assertThat(invalid(Map.of("tokens", 0, "per", "1s")).field()).isEqualTo("tokens");
    assertThat(invalid(Map.of("tokens", 1, "per", "soon")).field()).isEqualTo("per");
    assertThat(invalid(Map.of("tokens", 1, "per", "1s", "key", "cookie:x")).field())
        .isEqualTo("key");
    assertThat(invalid(Map.of("tokens", 1, "per", "1s", "headers", "x")).field())
        .isEqualTo("headers");
  }

  @Test
  void parserChecksWhatTheSchemaCannot() {
    assertThatThrownBy(
            () ->
                parse(
                    Map.of(
                        "tokens",
                        1,
                        "per",
                        "1s",
                        "key",
                        "ip",
                        "overrides",
                        List.of(
                            Map.of(
                                "match", Map.of("header:x-api-key", "k"),
                                "limits", List.of(Map.of("tokens", 2, "per", "1s")))))))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e -> {
              assertThat(e.field()).isEqualTo("overrides[0].match");
              assertThat(e.problem()).contains("header:x-api-key").contains("expected one of: ip");
            });
    assertThatThrownBy(
            () ->
                parse(
                    Map.of(
                        "limits",
                        List.of(
                            Map.of("tokens", 1, "per", "1s"), Map.of("tokens", 1, "per", "1s")))))
        .isInstanceOfSatisfying(
            ConfigException.class, e -> assertThat(e.field()).isEqualTo("limits[1]"));
    assertThatThrownBy(
            () ->
                parse(
                    Map.of(
                        "mode",
                        "global",
                        "tokens",
                        1,
                        "per",
                        "1s",
                        "redis",
                        Map.of("uri", "redis://h:1", "timeout", "2s"))))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e -> {
              assertThat(e.field()).isEqualTo("redis.timeout");
              assertThat(e.problem()).contains("expected: 1ms..1s");
            });
    assertThatThrownBy(() -> parse(Map.of("tokens", 1, "per", "400d")))
        .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.field()).isEqualTo("per"));
  }

  @Test
  void limitSetIdsAreStableAndDifferPerLimits() {
    LimitSet a = parse(Map.of("tokens", 10, "per", "1s")).limits();
    LimitSet b = parse(Map.of("tokens", 10, "per", "1s")).limits();
    LimitSet c = parse(Map.of("tokens", 11, "per", "1s")).limits();
    assertThat(a.id()).isEqualTo(b.id()).hasSize(12).isNotEqualTo(c.id());
  }
}
