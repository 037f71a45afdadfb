package io.plugmesh.filters.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.plugmesh.filters.ConfigException;
import io.plugmesh.filters.Phase;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConfigValidationTest {

  @Test
  void missingRequiredFieldIsNamed() {
    assertThatThrownBy(() -> FilterHarness.of(new TenantFilterFactory(), Map.of()))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e -> {
              assertThat(e.field()).isEqualTo("header");
              assertThat(e.problem()).contains("required").contains("plugin 'tenant'");
            });
  }

  @Test
  void valueOutOfRangeIsNamed() {
    assertThatThrownBy(
            () ->
                FilterHarness.of(new TenantFilterFactory(), Map.of("header", "x", "minLength", 0)))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e -> {
              assertThat(e.field()).isEqualTo("minLength");
              assertThat(e).hasMessageStartingWith("minLength: ").hasMessageContaining("1");
            });
  }

  @Test
  void unknownFieldIsNamedAndEveryErrorIsListed() {
    assertThatThrownBy(
            () ->
                FilterHarness.of(new TenantFilterFactory(), Map.of("header", "", "colour", "blue")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("header")
        .hasMessageContaining("colour")
        .hasMessageContaining("1 more");
  }

  @Test
  void nestedFieldsUseConfigPaths() {
    FilterHarnessTest.PhaseOnly rules =
        new FilterHarnessTest.PhaseOnly("rules", Phase.AUTHZ) {
          @Override
          public String configSchema() {
            return """
                {"type": "object", "properties": {"rules": {"type": "array", "items":
                  {"type": "object", "properties": {"allow": {"type": "object",
                    "properties": {"methods": {"type": "array", "items": {"type": "string"}}}}}}}}}""";
          }
        };
    Map<String, Object> config =
        Map.of(
            "rules",
            List.of(
                Map.of("allow", Map.of("methods", List.of("GET"))),
                Map.of("allow", Map.of("methods", List.of("GET", 7)))));

    assertThatThrownBy(() -> FilterHarness.of(rules, config))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e -> assertThat(e.field()).isEqualTo("rules[1].allow.methods[1]"));
  }

  @Test
  void parserChecksBeyondTheSchemaSurfaceToo() {
    assertThatThrownBy(
            () -> FilterHarness.of(new TenantFilterFactory(), Map.of("header", "X-Tenant")))
        .isInstanceOf(ConfigException.class)
        .hasMessage("header: 'X-Tenant' (expected: lower case)");
  }

  @Test
  void schemaThatIsNotJsonSchemaIsReported() {
    FilterHarnessTest.PhaseOnly typo =
        new FilterHarnessTest.PhaseOnly("typo", Phase.CUSTOM) {
          @Override
          public String configSchema() {
            return "{\"type\": \"object\", \"properties\": {\"a\": {\"type\": \"strin\"}}}";
          }
        };
    assertThatThrownBy(() -> FilterHarness.of(typo))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("plugin 'typo'")
        .hasMessageContaining("not a valid draft 2020-12 JSON Schema")
        .hasMessageContaining("/properties/a/type");
  }

  @Test
  void schemaThatIsNotJsonIsReported() {
    FilterHarnessTest.PhaseOnly broken =
        new FilterHarnessTest.PhaseOnly("broken", Phase.CUSTOM) {
          @Override
          public String configSchema() {
            return "{type: object";
          }
        };
    assertThatThrownBy(() -> FilterHarness.of(broken))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("plugin 'broken': configSchema() is not JSON");
  }
}
