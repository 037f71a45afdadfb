package io.plugmesh.control.server.validate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.plugmesh.config.ConfigError;
import io.plugmesh.control.api.PluginDescriptors;
import io.plugmesh.control.server.push.Selection;
import io.plugmesh.control.server.store.DesiredState;
import io.plugmesh.control.server.store.Documents;
import io.plugmesh.control.server.store.Kind;
import io.plugmesh.control.server.testing.TestFilters;
import io.plugmesh.pluginruntime.PluginHost;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ValidatorTest {
  PluginCatalog catalog = new PluginCatalog();
  Validator validator;

  @BeforeEach
  void setUp() {
    try (PluginHost host = PluginHost.load(Path.of("target/none"), "0.1.0", TestFilters.all())) {
      catalog.addAll(PluginDescriptors.of(host));
    }
    validator = new Validator(catalog);
  }

  @AfterEach
  void tearDown() {
    validator.close();
  }

  DesiredState state(String yaml) {
    return DesiredState.of(1, Documents.split(Documents.parse(yaml, "t"), "t"));
  }

  List<ConfigError.Problem> check(String yaml, Set<String> plugins) {
    return validator.check(
        Selection.catalogTarget(validator.canonical(state(yaml))), plugins, "proxy 'p'");
  }

  static final String BASE =
      """
      clusters: [{name: c, endpoints: [{address: "127.0.0.1:1"}]}]
      routes:
        - {name: r, match: {pathPrefix: /}, cluster: c, selector: {service: web},
           plugins: [%s]}
      """;

  @Test
  void canonicalFillsDefaultsAndKeepsSelectors() {
    DesiredState c = validator.canonical(state(BASE.formatted("{name: tag, config: {value: x}}")));
    Map<String, Object> route = c.of(Kind.ROUTE).get(0).tree();
    assertThat(route).containsKey("backends").doesNotContainKey("cluster");
    assertThat(route.get("selector")).isEqualTo(Map.of("service", "web"));
    assertThat(c.of(Kind.CLUSTER).get(0).tree()).containsEntry("lb", "round_robin");
  }

  @Test
  void canonicalChecksEachResourceOnItsOwn() {
    // references and shared addresses are for the target proxies to check
    DesiredState c =
        validator.canonical(
            state(
                """
                listeners:
                  - {name: a, address: "127.0.0.1:8080", routes: [r], selector: {service: a}}
                  - {name: b, address: "127.0.0.1:8080", selector: {service: b}}
                routes: [{name: r, cluster: elsewhere}]
                """));
    assertThat(c.of(Kind.LISTENER)).hasSize(2);
    assertThat(c.of(Kind.ROUTE).get(0).tree().get("backends"))
        .isEqualTo(List.of(Map.of("cluster", "elsewhere", "weight", 1)));
    // a resource's own fields are checked, with its real position
    assertThatThrownBy(
            () ->
                validator.canonical(
                    state(
                        """
                        listeners:
                          - {name: a, address: "127.0.0.1:8080"}
                          - {name: b, address: nowhere}
                        clusters: [{name: c, idleTimeout: 0s}]
                        """)))
        .isInstanceOfSatisfying(
            ConfigError.class,
            e ->
                assertThat(e.problems())
                    .extracting(ConfigError.Problem::field)
                    .containsExactlyInAnyOrder("listeners[1].address", "clusters[0].idleTimeout"));
  }

  @Test
  void selectorWithUnknownFieldIsRejected() {
    assertThatThrownBy(
            () ->
                validator.canonical(
                    state(BASE.formatted("").replace("{service: web}", "{service: web, zone: a}"))))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("route 'r': selector.zone: unknown field");
  }

  @Test
  void namesRoutePluginAndFieldForEachRule() {
    assertThat(check(BASE.formatted("{name: tag, config: {value: 1}}"), null))
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.route()).isEqualTo("r");
              assertThat(p.plugin()).isEqualTo("tag");
              assertThat(p.field()).isEqualTo("routes[0].plugins[0].config.value");
            });
    assertThat(check(BASE.formatted("{name: authz-test}, {name: authn-test}"), null))
        .anySatisfy(p -> assertThat(p.message()).contains("must come after 'authn-test'"));
    assertThat(check(BASE.formatted("{name: ghost}"), null))
        .anySatisfy(p -> assertThat(p.message()).contains("unknown plugin 'ghost'"));
    assertThat(check(BASE.formatted("{name: authn-test}"), Set.of("tag")))
        .anySatisfy(p -> assertThat(p.message()).contains("not installed on proxy 'p'"));
    assertThat(check(BASE.formatted("").replace("cluster: c,", "cluster: nope,"), null))
        .anySatisfy(p -> assertThat(p.message()).contains("nope"));
    assertThat(check(BASE.formatted("{name: tag, config: {value: x}}"), null)).isEmpty();
    // a plugin switched off is not checked
    assertThat(check(BASE.formatted("{name: ghost, mode: off}"), null)).isEmpty();
  }
}
