package io.plugmesh.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.plugmesh.config.ConfigError.Problem;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConfigErrorTest {
  @Test
  void rendersProblemsBuiltElsewhereOnePerLine() {
    ConfigError error =
        new ConfigError(
            "control stream",
            List.of(
                new Problem(
                    "reviews-read",
                    "ratelimit",
                    "routes[0].plugins[2].config.tokens",
                    "-1 (expected: > 0)"),
                new Problem("reviews-read", "rbac", "config.rules", "missing (expected: a value)"),
                new Problem("reviews-read", null, "routes[4].timeout", "0s (expected: > 0)"),
                Problem.at("clusters[1].endpoints[0].address", "\"foo\" (expected: host:port)"),
                Problem.at("", "line 1, column 1: unreadable document")));
    assertThat(error.getMessage())
        .isEqualTo(
            """
            invalid config control stream (5 problems):
              route 'reviews-read', plugin 'ratelimit' (#3): config.tokens: -1 (expected: > 0)
              route 'reviews-read', plugin 'rbac': config.rules: missing (expected: a value)
              route 'reviews-read': timeout: 0s (expected: > 0)
              clusters[1].endpoints[0].address: "foo" (expected: host:port)
              line 1, column 1: unreadable document""");
    assertThat(error.problems()).hasSize(5);
    assertThat(error.source()).isEqualTo("control stream");
  }

  @Test
  void needsAtLeastOneProblem() {
    assertThatThrownBy(() -> new ConfigError(List.of()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(new ConfigError(List.of(Problem.at("x", "bad"))).getMessage())
        .isEqualTo("invalid config (1 problem):\n  x: bad");
  }
}
