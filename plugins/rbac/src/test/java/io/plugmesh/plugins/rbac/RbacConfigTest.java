package io.plugmesh.plugins.rbac;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.plugmesh.filters.ConfigException;
import io.plugmesh.filters.ConfigNode;
import io.plugmesh.filters.testkit.FilterHarness;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RbacConfigTest {

  private static void assertRejected(Map<String, ?> config, String field, String text) {
    assertThatThrownBy(() -> FilterHarness.of(new RbacFilterFactory(), config))
        .isInstanceOf(ConfigException.class)
        .satisfies(e -> assertThat(((ConfigException) e).field()).isEqualTo(field))
        .hasMessageContaining(text);
  }

  private static Map<String, Object> rules(Object... rules) {
    return Map.of("rules", List.of(rules));
  }

  @Test
  void parsesRulesWithDefaultNames() {
    RbacConfig config =
        new RbacFilterFactory()
            .parseConfig(
                ConfigNode.of(
                    rules(
                        Map.of("deny", Map.of("methods", List.of("delete"))),
                        Map.of(
                            "name",
                            "readers",
                            "allow",
                            Map.of(
                                "claims",
                                Map.of("scope", "reviews.read", "level", 3),
                                "clientIps",
                                List.of("10.0.0.0/8"),
                                "paths",
                                List.of(Map.of("prefix", "/reviews")))))));
    assertThat(config.rules()).extracting(Rule::name).containsExactly("deny-0", "readers");
    assertThat(config.rules().get(0).condition().methods()).containsExactly("DELETE");
    assertThat(config.rules().get(1).condition().claims())
        .contains(new ClaimMatcher("level", List.of("3")));
    assertThat(config.hasAllowRules()).isTrue();
  }

  @Test
  void schemaErrorsNameTheField() {
    assertRejected(Map.of(), "rules", "");
    assertRejected(rules(), "rules", "");
    assertRejected(rules(Map.of("allow", Map.of(), "deny", Map.of())), "rules[0]", "");
    assertRejected(rules(Map.of("permit", Map.of())), "rules[0].permit", "");
    assertRejected(
        rules(Map.of("allow", Map.of("paths", List.of(Map.of("prefix", "admin"))))),
        "rules[0].allow.paths[0].prefix",
        "");
    assertRejected(
        rules(Map.of("allow", Map.of("paths", List.of(Map.of("exact", "/a", "prefix", "/b"))))),
        "rules[0].allow.paths[0]",
        "");
  }

  @Test
  void parserErrorsNameTheFieldAndWhatWasExpected() {
    assertRejected(
        rules(Map.of("allow", Map.of("clientIps", List.of("10.0.0.0/40")))),
        "rules[0].allow.clientIps[0]",
        "prefix length (expected: 0..32)");
    assertRejected(
        rules(Map.of("allow", Map.of("clientIps", List.of("intranet.local")))),
        "rules[0].allow.clientIps[0]",
        "expected: an IPv4 or IPv6 address");
    assertRejected(
        rules(Map.of("allow", Map.of("paths", List.of(Map.of("prefix", "/a/../admin"))))),
        "rules[0].allow.paths[0].prefix",
        "expected: a normalized path");
    assertRejected(
        rules(Map.of("allow", Map.of("paths", List.of(Map.of("exact", "/%61dmin"))))),
        "rules[0].allow.paths[0].exact",
        "expected: a normalized path");
    assertRejected(
        rules(Map.of("allow", Map.of("paths", List.of(Map.of("glob", "/*/*/*/*/*/*/*/*/*"))))),
        "rules[0].allow.paths[0].glob",
        "wildcards (expected: <= 8)");
    assertRejected(
        rules(Map.of("allow", Map.of("peers", List.of("spiffe://*/sa/x")))),
        "rules[0].allow.peers[0]",
        "prefix ending in *");
    assertRejected(
        rules(Map.of("name", "a", "allow", Map.of()), Map.of("name", "a", "deny", Map.of())),
        "rules[1].name",
        "is taken");
  }
}
