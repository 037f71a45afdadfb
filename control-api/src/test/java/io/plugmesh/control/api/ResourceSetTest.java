package io.plugmesh.control.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Struct;
import io.plugmesh.config.ConfigLoader;
import io.plugmesh.config.MeshConfig;
import io.plugmesh.control.api.v1.Snapshot;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ResourceSetTest {
  static Map<String, Object> route(String name, String tag) {
    Map<String, Object> tree = new LinkedHashMap<>();
    tree.put("name", name);
    tree.put("match", Map.of("pathPrefix", "/" + name));
    tree.put("backends", List.of(Map.of("cluster", "c", "weight", 1)));
    tree.put(
        "plugins",
        List.of(Map.of("name", "tag", "mode", "enforce", "config", Map.of("value", tag, "n", 3))));
    return tree;
  }

  @SafeVarargs
  static ResourceSet set(Map<String, Object>... routes) {
    List<Map<String, Object>> list = new ArrayList<>();
    for (Map<String, Object> r : routes) {
      list.add(r);
    }
    return ResourceSet.of(List.of(), List.of(Map.of("name", "c", "endpoints", List.of())), list);
  }

  static List<String> names(List<Struct> resources) {
    return resources.stream().map(s -> s.getFieldsOrThrow("name").getStringValue()).toList();
  }

  @Test
  void equalContentHasEqualVersionAndOrderMatters() {
    assertThat(set(route("a", "1"), route("b", "1")).version())
        .isEqualTo(set(route("a", "1"), route("b", "1")).version())
        .isNotEqualTo(set(route("b", "1"), route("a", "1")).version())
        .isNotEqualTo(set(route("a", "2"), route("b", "1")).version());
  }

  @Test
  void versionDoesNotDependOnTheOrderFieldsWereWrittenIn() {
    Map<String, Object> forward = new LinkedHashMap<>();
    forward.put("name", "c");
    forward.put("lb", "random");
    forward.put("healthCheck", new LinkedHashMap<>(Map.of("path", "/h")));
    forward.put("endpoints", List.of());
    Map<String, Object> backward = new LinkedHashMap<>();
    backward.put("endpoints", List.of());
    backward.put("healthCheck", new LinkedHashMap<>(Map.of("path", "/h")));
    backward.put("lb", "random");
    backward.put("name", "c");
    ResourceSet a = ResourceSet.of(List.of(), List.of(forward), List.of());
    ResourceSet b = ResourceSet.of(List.of(), List.of(backward), List.of());
    assertThat(ResourceSet.deterministic(a.clusters().get("c")))
        .isEqualTo(ResourceSet.deterministic(b.clusters().get("c")));
    assertThat(a.version()).isEqualTo(b.version());
    // many keys, so hash map order would show if serialization were not sorted
    Map<String, Object> wide = new LinkedHashMap<>();
    Map<String, Object> reversed = new LinkedHashMap<>();
    for (int i = 0; i < 64; i++) {
      wide.put("k" + i, i);
      reversed.put("k" + (63 - i), 63 - i);
    }
    assertThat(ResourceSet.deterministic(ProtoTrees.struct(Map.of("config", wide))))
        .isEqualTo(ResourceSet.deterministic(ProtoTrees.struct(Map.of("config", reversed))));
  }

  @Test
  void deltaCarriesOnlyChangedResourcesAndRebuildsTheSameSet() {
    ResourceSet before = set(route("a", "1"), route("b", "1"), route("c", "1"));
    ResourceSet after = set(route("a", "1"), route("b", "2"), route("d", "1"));
    Snapshot delta = after.deltaFrom(before, "n1");
    assertThat(delta.getFull()).isFalse();
    assertThat(names(delta.getRoutesList())).containsExactly("b", "d");
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
  void aResourceWithoutANameIsRefused() {
    Snapshot nameless =
        Snapshot.newBuilder()
            .setFull(true)
            .addClusters(ProtoTrees.struct(Map.of("lb", "random")))
            .build();
    assertThatThrownBy(() -> ResourceSet.EMPTY.apply(nameless))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("a cluster without a name (expected: a string field 'name')");
    assertThatThrownBy(
            () ->
                ResourceSet.of(
                    List.of(), List.of(Map.of("name", "c"), Map.of("name", "c")), List.of()))
        .hasMessage("cluster 'c' given twice (expected: unique names)");
  }

  @Test
  void pluginConfigSurvivesStructWithIntegersKept() {
    Map<?, ?> tree = set(route("a", "x")).configTree();
    Map<?, ?> route = (Map<?, ?>) ((List<?>) tree.get("routes")).get(0);
    Object config = ((Map<?, ?>) ((List<?>) route.get("plugins")).get(0)).get("config");
    assertThat(config).isEqualTo(Map.of("value", "x", "n", 3));
    assertThat(((Map<?, ?>) config).get("n")).isInstanceOf(Integer.class);
  }

  @Test
  void selectorTravelsAndCountsButIsNotConfig() {
    Map<String, Object> plain = route("a", "1");
    Map<String, Object> selected = route("a", "1");
    selected.put(ResourceSet.SELECTOR, Map.of("service", "web"));
    ResourceSet withSelector = set(selected);
    assertThat(withSelector.version()).isNotEqualTo(set(plain).version());
    assertThat(withSelector.full("n").getRoutes(0).containsFields(ResourceSet.SELECTOR)).isTrue();
    assertThat(withSelector.configTree()).isEqualTo(set(plain).configTree());
  }

  /** Every field of the config model, as a file has it, reaches the proxy's config unchanged. */
  @Test
  void everyFieldTravelsTheStream() throws Exception {
    MeshConfig file =
        ConfigLoader.parseYaml(
            """
            listeners:
              - name: in
                address: 127.0.0.1:0
                tls: {certificateFile: /c/a.pem, privateKeyFile: /c/a.key, clientCaFile: /c/ca.pem,
                      mode: permissive}
                routes: [r]
            clusters:
              - name: c
                lb: weighted_random
                protocol: http2
                connectTimeout: 3s
                idleTimeout: 250ms
                maxConnectionsPerEndpoint: 7
                endpoints: [{address: "127.0.0.1:9081", weight: 2}, {address: "[::1]:9082"}]
                circuitBreaker: {maxConnections: 11, maxPendingRequests: 12, maxRequests: 13,
                                 maxRetries: 0}
                outlierDetection: {consecutive5xx: 4, consecutiveGatewayErrors: 2,
                                   baseEjectionTime: 10s, maxEjectionTime: 60s,
                                   maxEjectionPercent: 50}
                healthCheck: {type: tcp, path: /hc, interval: 2s, timeout: 500ms,
                              healthyThreshold: 1, unhealthyThreshold: 4}
                tls: {certificateFile: /c/b.pem, privateKeyFile: /c/b.key, caFile: /c/ca.pem,
                      serverIdentity: "spiffe://cluster.local/ns/default/sa/c"}
            routes:
              - name: r
                match: {pathRegex: "/x/[0-9]+", methods: [GET], headers: {x-a: b},
                        authority: [a.example]}
                backends: [{cluster: c, weight: 3}]
                timeout: 2s
                plugins: [{name: tag, mode: shadow, config: {value: v, n: 3, f: 1.5, l: [a]}}]
            """,
            "routes.yaml");
    Map<String, Object> tree = ConfigLoader.toTree(file);
    @SuppressWarnings("unchecked")
    ResourceSet sent =
        ResourceSet.of(
            (List<Map<String, Object>>) tree.get("listeners"),
            (List<Map<String, Object>>) tree.get("clusters"),
            (List<Map<String, Object>>) tree.get("routes"));
    Snapshot wire = Snapshot.parseFrom(sent.full("n").toByteArray());
    ResourceSet received = ResourceSet.EMPTY.apply(wire);
    assertThat(received.version()).isEqualTo(sent.version()).isEqualTo(wire.getVersion());
    MeshConfig proxy = received.config("control stream");
    assertThat(proxy).isEqualTo(file);
    assertThat(proxy.clusters().get(0).idleTimeout()).hasMillis(250);
  }
}
