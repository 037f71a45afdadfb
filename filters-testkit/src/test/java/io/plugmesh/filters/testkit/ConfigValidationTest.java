package io.plugmesh.filters.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.plugmesh.filters.ConfigException;
import io.plugmesh.filters.Phase;
import io.plugmesh.pluginruntime.ConfigSchemas;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class ConfigValidationTest {

  @Test
  void missingRequiredFieldIsNamed() {
    assertThatThrownBy(() -> FilterHarness.of(new TenantFilterFactory(), Map.of()))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e -> {
              assertThat(e.field()).isEqualTo("header");
              assertThat(e.problem()).contains("required");
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
  void unknownFieldIsNamedAndEveryErrorIsAttached() {
    assertThatThrownBy(
            () ->
                FilterHarness.of(new TenantFilterFactory(), Map.of("header", "", "colour", "blue")))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e -> {
              List<String> fields = new ArrayList<>();
              fields.add(e.field());
              for (Throwable more : e.getSuppressed()) {
                fields.add(((ConfigException) more).field());
              }
              assertThat(fields).containsExactlyInAnyOrder("header", "colour");
            });
  }

  @ParameterizedTest
  @MethodSource("badTenantConfigs")
  void everyViolationReadsExactlyAsTheProxyReportsIt(Map<String, Object> config) {
    List<String> proxy =
        new ConfigSchemas()
            .validate(new TenantFilterFactory(), "tenant", config).stream()
                .map(v -> v.field() + ": " + v.problem())
                .toList();
    assertThat(proxy).isNotEmpty();

    ConfigException e =
        catchThrowableOfType(
            ConfigException.class, () -> FilterHarness.of(new TenantFilterFactory(), config));
    List<String> harness = new ArrayList<>();
    harness.add("config." + e.getMessage());
    for (Throwable more : e.getSuppressed()) {
      harness.add("config." + more.getMessage());
    }
    assertThat(harness).isEqualTo(proxy);
  }

  static Stream<Map<String, Object>> badTenantConfigs() {
    return Stream.of(
        Map.of(),
        Map.of("header", "x", "minLength", 0),
        Map.of("header", 7),
        Map.of("header", "", "colour", "blue"));
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
        .hasMessageStartingWith("filter 'typo': configSchema() is not a valid JSON Schema")
        .hasMessageContaining("properties.a.type");
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
        .hasMessageStartingWith("filter 'broken': configSchema() is not JSON");
  }
}
