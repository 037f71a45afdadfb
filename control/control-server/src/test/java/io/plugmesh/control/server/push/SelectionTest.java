package io.plugmesh.control.server.push;

import static org.assertj.core.api.Assertions.assertThat;

import io.plugmesh.config.ConfigLoader;
import io.plugmesh.config.EndpointConfig;
import io.plugmesh.config.MeshConfig;
import io.plugmesh.control.api.ResourceSet;
import io.plugmesh.control.api.v1.Snapshot;
import io.plugmesh.control.server.registry.Instance;
import io.plugmesh.control.server.store.DesiredState;
import io.plugmesh.control.server.store.Documents;
import io.plugmesh.control.server.validate.PluginCatalog;
import io.plugmesh.control.server.validate.Validator;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SelectionTest {
  /** Every optional listener and cluster field set away from its default. */
  static final String FULL =
      """
      listeners:
        - name: in
          address: 127.0.0.1:0
          tls: {certificateFile: /certs/a.pem, privateKeyFile: /certs/a.key,
                clientCaFile: /certs/ca.pem, mode: permissive}
          routes: [r]
      clusters:
        - name: c
          lb: least_request
          protocol: http2
          connectTimeout: 3s
          idleTimeout: 90s
          maxConnectionsPerEndpoint: 7
          endpoints: [{address: "127.0.0.1:9081", weight: 2}]
          circuitBreaker: {maxConnections: 11, maxPendingRequests: 12, maxRequests: 13, maxRetries: 1}
          outlierDetection: {consecutive5xx: 4, consecutiveGatewayErrors: 2, baseEjectionTime: 10s,
                             maxEjectionTime: 60s, maxEjectionPercent: 50}
          healthCheck: {type: tcp, path: /hc, interval: 2s, timeout: 500ms, healthyThreshold: 1,
                        unhealthyThreshold: 4}
          tls: {caFile: /certs/ca.pem, serverIdentity: "spiffe://cluster.local/ns/default/sa/c"}
      routes:
        - name: r
          match: {path: /x, methods: [GET], headers: {x-a: b}, authority: [a.example]}
          backends: [{cluster: c, weight: 3}]
          timeout: 2s
          plugins: [{name: tag, mode: shadow, config: {value: v, n: 3}}]
      """;

  static DesiredState canonical(String yaml) {
    DesiredState stored = DesiredState.of(1, Documents.split(Documents.parse(yaml, "t"), "t"));
    try (Validator validator = new Validator(new PluginCatalog())) {
      return validator.canonical(stored);
    }
  }

  /**
   * What the control service pushes is what the file says: the typed resource messages once lost a
   * listener's client CA and TLS mode and a cluster's breakers, outlier detection, health checks
   * and upstream TLS.
   */
  @Test
  void proxyGetsEveryFieldTheDocumentSets() throws Exception {
    ResourceSet selected = Selection.select(canonical(FULL), Map.of(), "web", Map.of());
    Snapshot wire = Snapshot.parseFrom(selected.full("n").toByteArray());
    MeshConfig pushed = ResourceSet.EMPTY.apply(wire).config("control stream");
    assertThat(pushed).isEqualTo(ConfigLoader.parseYaml(FULL, "file"));
    assertThat(pushed.clusters().get(0).idleTimeout()).isEqualTo(Duration.ofSeconds(90));
  }

  @Test
  void selectorsChooseByServiceAndLabels() {
    DesiredState state =
        canonical(
            """
            clusters:
              - {name: all}
              - {name: web, selector: {service: web}}
              - {name: web-v2, selector: {service: web, labels: {v: "2"}}}
              - {name: v2, selector: {labels: {v: "2"}}}
            """);
    assertThat(Selection.select(state, Map.of(), "web", Map.of("v", "2", "z", "a")).clusters())
        .containsOnlyKeys("all", "web", "web-v2", "v2");
    assertThat(Selection.select(state, Map.of(), "web", Map.of("v", "1")).clusters())
        .containsOnlyKeys("all", "web");
    assertThat(Selection.select(state, Map.of(), "api", Map.of("v", "2")).clusters())
        .containsOnlyKeys("all", "v2");
    assertThat(Selection.selects(null, "api", Map.of())).isTrue();
  }

  @Test
  void registeredInstancesJoinTheClusterOfTheirService() {
    DesiredState state =
        canonical("clusters: [{name: web, endpoints: [{address: \"10.0.0.1:80\"}]}]");
    Map<String, List<Instance>> registry =
        Map.of(
            "web",
            List.of(
                new Instance("web", "a", "10.0.0.1:80", 4),
                new Instance("web", "b", "10.0.0.2:80", 2)));
    MeshConfig config = Selection.select(state, registry, "api", Map.of()).config("t");
    assertThat(config.clusters().get(0).endpoints())
        .containsExactly(
            new EndpointConfig("10.0.0.1", 80, 1), new EndpointConfig("10.0.0.2", 80, 2));
  }
}
