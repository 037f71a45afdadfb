package io.plugmesh.control.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.plugmesh.config.ConfigLoader;
import io.plugmesh.control.api.v1.ApplyResponse;
import io.plugmesh.control.api.v1.Problem;
import io.plugmesh.control.api.v1.ProxyStatus;
import io.plugmesh.control.server.testing.ControlFixture;
import io.plugmesh.control.server.testing.TestFilters;
import io.plugmesh.control.server.testing.TestProxy;
import io.plugmesh.kernel.state.ClusterState;
import io.plugmesh.kernel.testing.TestUpstream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A file-mode control replica and two in-process proxies on loopback. */
class ControlPushIT {
  @TempDir Path dir;
  ControlServer server;
  TestProxy a;
  TestProxy b;

  static String config(String tag) {
    return """
        listeners:
          - {name: in, address: "127.0.0.1:0"}
        clusters:
          - {name: backend, endpoints: [{address: "127.0.0.1:9"}]}
        routes:
          - name: tagged
            match: {pathPrefix: /tag}
            cluster: backend
            plugins:
              - {name: tag, config: {value: "%s"}}
        """
        .formatted(tag);
  }

  @BeforeEach
  void start() throws Exception {
    server = ControlFixture.files(dir.resolve("store"));
    List<String> servers = List.of(ControlFixture.address(server));
    a = TestProxy.start("a", "web", servers, null, TestFilters.all());
    b = TestProxy.start("b", "web", servers, null, TestFilters.all());
    await().atMost(Duration.ofSeconds(10)).until(() -> connected().size() == 2);
  }

  @AfterEach
  void stop() {
    if (a != null) {
      a.close();
    }
    if (b != null) {
      b.close();
    }
    if (server != null) {
      server.close();
    }
  }

  Map<String, ProxyStatus> connected() {
    return server.operations().status().getProxiesList().stream()
        .filter(ProxyStatus::getConnected)
        .collect(Collectors.toMap(ProxyStatus::getNodeId, Function.identity()));
  }

  void awaitAcked(String version, TestProxy... proxies) {
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () -> {
              Map<String, ProxyStatus> s = connected();
              for (TestProxy p : proxies) {
                if (!version.equals(p.version())) {
                  return false;
                }
              }
              return s.values().stream().allMatch(x -> x.getAckedVersion().equals(version));
            });
  }

  @Test
  void configChangeReachesBothProxiesAndIsAcked() throws Exception {
    ApplyResponse first = server.operations().apply(config("one"), false);
    assertThat(first.getProblemsList()).isEmpty();
    assertThat(first.getChangesList())
        .contains("listener/in created", "cluster/backend created", "route/tagged created");
    String v1 = server.operations().proxyConfig("a").orElseThrow().getVersion();
    awaitAcked(v1, a, b);
    assertThat(a.get("in", "/tag").body()).isEqualTo("tag=one");
    assertThat(b.get("in", "/tag").body()).isEqualTo("tag=one");
    assertThat(a.admin("/ready").body()).contains("\"stale\":false");

    ApplyResponse second = server.operations().apply(config("two"), false);
    assertThat(second.getChangesList())
        .contains("route/tagged configured", "listener/in unchanged", "cluster/backend unchanged");
    String v2 = server.operations().proxyConfig("a").orElseThrow().getVersion();
    assertThat(v2).isNotEqualTo(v1);
    awaitAcked(v2, a, b);
    assertThat(a.get("in", "/tag").body()).isEqualTo("tag=two");
    assertThat(b.get("in", "/tag").body()).isEqualTo("tag=two");
    for (ProxyStatus s : connected().values()) {
      assertThat(s.getSentVersion()).isEqualTo(v2);
      assertThat(s.getAckedAtMillis()).isPositive();
      assertThat(s.getNackedVersion()).isEmpty();
    }
  }

  /**
   * Cluster settings the typed resource messages used to drop reach the running proxy, and its pool
   * closes an upstream connection after the cluster's idleTimeout.
   */
  @Test
  void clusterSettingsReachTheRunningProxyAndTakeEffect() throws Exception {
    try (TestUpstream upstream = TestUpstream.http1("up")) {
      String yaml =
          """
          listeners:
            - {name: in, address: "127.0.0.1:0"}
          clusters:
            - name: backend
              idleTimeout: 300ms
              endpoints: [{address: "%s"}]
              circuitBreaker: {maxConnections: 50, maxRetries: 1}
              outlierDetection: {consecutive5xx: 3, baseEjectionTime: 5s}
          routes:
            - {name: all, match: {pathPrefix: /}, cluster: backend}
          """
              .formatted(upstream.address());
      assertThat(server.operations().apply(yaml, false).getProblemsList()).isEmpty();
      String version = server.operations().proxyConfig("a").orElseThrow().getVersion();
      awaitAcked(version, a, b);
      ClusterState running = a.kernel.snapshot().cluster("backend");
      assertThat(running.config())
          .isEqualTo(ConfigLoader.parseYaml(yaml, "file").clusters().get(0));
      assertThat(running.target(running.endpoints().get(0)).idleTimeout())
          .isEqualTo(Duration.ofMillis(300));

      assertThat(a.get("in", "/x").statusCode()).isEqualTo(200);
      await().atMost(Duration.ofSeconds(10)).until(() -> upstream.openConnections() == 0);
      assertThat(upstream.connections()).isEqualTo(1);
    }
  }

  @Test
  void validationRejectsBadConfigWithPreciseProblemsAndPushesNothing() throws Exception {
    server.operations().apply(config("one"), false);
    String v1 = server.operations().proxyConfig("a").orElseThrow().getVersion();
    awaitAcked(v1, a, b);
    long revision = server.operations().get(null, null).getRevision();

    // config failing the plugin's JSON Schema
    ApplyResponse schema =
        server.operations().apply(config("one").replace("{value: \"one\"}", "{value: 7}"), false);
    assertThat(schema.getProblemsList())
        .anySatisfy(
            p -> {
              assertThat(p.getRoute()).isEqualTo("tagged");
              assertThat(p.getPlugin()).isEqualTo("tag");
              assertThat(p.getField()).isEqualTo("routes[0].plugins[0].config.value");
            });

    // unknown plugin
    ApplyResponse unknown =
        server.operations().apply(config("one").replace("name: tag", "name: nope"), false);
    assertThat(unknown.getProblemsList())
        .anySatisfy(
            p -> {
              assertThat(p.getPlugin()).isEqualTo("nope");
              assertThat(p.getMessage()).contains("unknown plugin 'nope'");
            });

    // backend cluster that does not exist
    ApplyResponse ghost =
        server
            .operations()
            .apply(config("one").replace("cluster: backend", "cluster: ghost"), false);
    assertThat(ghost.getProblemsList())
        .anySatisfy(
            p -> {
              assertThat(p.getRoute()).isEqualTo("tagged");
              assertThat(p.getMessage()).contains("ghost");
            });

    // phase order: authz before authn
    String badOrder =
        config("one")
            .replace(
                "- {name: tag, config: {value: \"one\"}}",
                "- {name: authz-test}\n      - {name: authn-test}\n      - {name: tag, config: {value: \"one\"}}");
    ApplyResponse order = server.operations().apply(badOrder, false);
    assertThat(order.getProblemsList())
        .anySatisfy(
            p -> {
              assertThat(p.getPlugin()).isEqualTo("authz-test");
              assertThat(p.getMessage()).contains("must come after 'authn-test'");
            });

    // a plugin a connected proxy does not have
    try (TestProxy c =
        TestProxy.start(
            "c",
            "web",
            List.of(ControlFixture.address(server)),
            null,
            List.of(new TestFilters.Tag()))) {
      await().atMost(Duration.ofSeconds(10)).until(() -> connected().containsKey("c"));
      assertThat(c.kernel.plugins().filterNames()).containsExactly("tag");
      String withAuthn =
          config("one")
              .replace(
                  "- {name: tag, config: {value: \"one\"}}",
                  "- {name: authn-test}\n      - {name: tag, config: {value: \"one\"}}");
      ApplyResponse missing = server.operations().apply(withAuthn, false);
      assertThat(missing.getProblemsList())
          .anySatisfy(
              p -> {
                assertThat(p.getRoute()).isEqualTo("tagged");
                assertThat(p.getPlugin()).isEqualTo("authn-test");
                assertThat(p.getField()).isEqualTo("routes[0].plugins[0].name");
                assertThat(p.getMessage()).contains("not installed on proxy 'c'");
              });
    }

    // nothing was stored or pushed
    assertThat(server.operations().get(null, null).getRevision()).isEqualTo(revision);
    assertThat(a.version()).isEqualTo(v1);
    assertThat(b.version()).isEqualTo(v1);
    assertThat(a.get("in", "/tag").body()).isEqualTo("tag=one");
    for (ProxyStatus s : connected().values()) {
      assertThat(s.getSentVersion()).isEqualTo(v1);
    }
  }

  @Test
  void configPushedAroundValidationIsNackedAndTheOldVersionKeepsServing() throws Exception {
    Path file = dir.resolve("store").resolve("mesh.yaml");
    Files.writeString(file, config("one"));
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> server.operations().get(null, null).getDocument().contains("tagged"));
    String v1 = server.operations().proxyConfig("a").orElseThrow().getVersion();
    awaitAcked(v1, a, b);

    // an admin edits the file by hand: the schema allows the value, the plugin's parser does not
    Files.writeString(file, config("bad-value"));
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                connected().values().stream()
                    .allMatch(s -> !s.getNackedVersion().isEmpty() && s.getNackedAtMillis() > 0));
    for (ProxyStatus s : connected().values()) {
      assertThat(s.getAckedVersion()).isEqualTo(v1);
      assertThat(s.getNackedVersion()).isNotEqualTo(v1);
      assertThat(s.getError()).contains("'bad-value' (expected: not starting with 'bad')");
      Problem p = s.getProblems(0);
      assertThat(p.getRoute()).isEqualTo("tagged");
      assertThat(p.getPlugin()).isEqualTo("tag");
      assertThat(p.getField()).isEqualTo("routes[0].plugins[0].config.value");
    }
    assertThat(a.version()).isEqualTo(v1);
    assertThat(a.get("in", "/tag").body()).isEqualTo("tag=one");
    assertThat(b.get("in", "/tag").body()).isEqualTo("tag=one");

    // a good edit afterwards is applied
    Files.writeString(file, config("three"));
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> a.get("in", "/tag").body().equals("tag=three"));
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> b.get("in", "/tag").body().equals("tag=three"));
  }
}
