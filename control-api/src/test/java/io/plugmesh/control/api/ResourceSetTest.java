package io.plugmesh.control.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.plugmesh.control.api.v1.Cluster;
import io.plugmesh.control.api.v1.Route;
import io.plugmesh.control.api.v1.Snapshot;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ResourceSetTest {
  static Route route(String name, String tag) {
    Map<String, Object> tree = new LinkedHashMap<>();
    tree.put("name", name);
    tree.put("match", Map.of("pathPrefix", "/" + name));
    tree.put("backends", List.of(Map.of("cluster", "c", "weight", 1)));
    tree.put(
        "plugins",
        List.of(Map.of("name", "tag", "mode", "enforce", "config", Map.of("value", tag, "n", 3))));
    return ProtoTrees.route(tree);
  }

  static ResourceSet set(Route... routes) {
    Map<String, Route> m = new LinkedHashMap<>();
    for (Route r : routes) {
      m.put(r.getName(), r);
    }
    Cluster c = ProtoTrees.cluster(Map.of("name", "c", "endpoints", List.of()));
    return new ResourceSet(Map.of(), Map.of("c", c), m);
  }

  @Test
  void equalContentHasEqualVersionAndOrderMatters() {
    assertThat(set(route("a", "1"), route("b", "1")).version())
        .isEqualTo(set(route("a", "1"), route("b", "1")).version())
        .isNotEqualTo(set(route("b", "1"), route("a", "1")).version())
        .isNotEqualTo(set(route("a", "2"), route("b", "1")).version());
  }

  @Test
  void deltaCarriesOnlyChangedResourcesAndRebuildsTheSameSet() {
    ResourceSet before = set(route("a", "1"), route("b", "1"), route("c", "1"));
    ResourceSet after = set(route("a", "1"), route("b", "2"), route("d", "1"));
    Snapshot delta = after.deltaFrom(before, "n1");
    assertThat(delta.getFull()).isFalse();
    assertThat(delta.getRoutesList()).extracting(Route::getName).containsExactly("b", "d");
    assertThat(delta.getClustersList()).isEmpty();
    assertThat(delta.getRemovedRoutesList()).containsExactly("c");
    ResourceSet rebuilt = before.apply(delta);
    assertThat(rebuilt.version()).isEqualTo(after.version());
    assertThat(rebuilt.routes().keySet()).containsExactly("a", "b", "d");
    assertThat(ResourceSet.EMPTY.apply(after.full("n2")).version()).isEqualTo(after.version());
  }

  @Test
  void deltaForAnotherBaseIsRefused() {
    ResourceSet a = set(route("a", "1"));
    ResourceSet b = set(route("a", "2"));
    Snapshot delta = b.deltaFrom(a, "n");
    assertThatThrownBy(() -> b.apply(delta))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expected: the applied version");
  }

  @Test
  void pluginConfigSurvivesStructWithIntegersKept() {
    Route r = route("a", "x");
    Map<String, Object> tree = ProtoTrees.tree(r);
    Object config = ((Map<?, ?>) ((List<?>) tree.get("plugins")).get(0)).get("config");
    assertThat(config).isEqualTo(Map.of("value", "x", "n", 3));
    assertThat(((Map<?, ?>) config).get("n")).isInstanceOf(Integer.class);
    assertThat(ProtoTrees.route(tree)).isEqualTo(r);
  }

  @Test
  void selectorsMatchServiceAndLabels() {
    var s = ProtoTrees.selector(Map.of("service", "web", "labels", Map.of("v", "2")));
    assertThat(ProtoTrees.selects(s, "web", Map.of("v", "2", "z", "a"))).isTrue();
    assertThat(ProtoTrees.selects(s, "web", Map.of("v", "1"))).isFalse();
    assertThat(ProtoTrees.selects(s, "api", Map.of("v", "2"))).isFalse();
    assertThat(ProtoTrees.selects(null, "api", Map.of())).isTrue();
  }
}
