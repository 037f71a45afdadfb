package io.plugmesh.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import io.plugmesh.config.ConfigError.Problem;
import io.plugmesh.config.MatchConfig.PathKind;
import io.plugmesh.filters.advanced.FilterMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
  static final String FULL =
      """
      listeners:
        - {name: inbound, address: 127.0.0.1:15006, routes: [reviews-read]}
        - name: secure
          address: "[::1]:0"
          tls: {certificateFile: c.pem, privateKeyFile: k.pem}
      clusters:
        - name: reviews-v1
          lb: least_request
          protocol: http2
          connectTimeout: 250ms
          maxConnectionsPerEndpoint: 16
          endpoints: [{address: 127.0.0.1:9081, weight: 3}, {address: "[::1]:9082"}]
        - name: reviews-v2
          endpoints: [{address: localhost:9083}]
      routes:
        - name: reviews-read
          match:
            pathPrefix: /reviews
            methods: [GET, HEAD]
            headers: {X-User-Group: beta}
            authority: [reviews.local, "*.example.com"]
          backends: [{cluster: reviews-v1, weight: 90}, {cluster: reviews-v2, weight: 10}]
          timeout: 2s
          plugins:
            - {name: authn-jwt, config: {issuer: "https://idp.test", audiences: [reviews]}}
            - {name: ratelimit, mode: shadow, config: {tokens: 100, per: 1s}}
            - {name: fault, mode: "off"}
        - name: catch-all
          cluster: reviews-v2
      """;

  @Test
  void readsEveryField() {
    MeshConfig config = ConfigLoader.parseYaml(FULL, "routes.yaml");

    assertThat(config.listeners())
        .containsExactly(
            new ListenerConfig("inbound", "127.0.0.1", 15006, null, List.of("reviews-read")),
            new ListenerConfig("secure", "::1", 0, new TlsConfig("c.pem", "k.pem"), List.of()));
    assertThat(config.clusters())
        .containsExactly(
            new ClusterConfig(
                "reviews-v1",
                LbPolicy.LEAST_REQUEST,
                UpstreamProtocol.HTTP2,
                List.of(
                    new EndpointConfig("127.0.0.1", 9081, 3), new EndpointConfig("::1", 9082, 1)),
                Duration.ofMillis(250),
                16),
            new ClusterConfig(
                "reviews-v2",
                LbPolicy.ROUND_ROBIN,
                UpstreamProtocol.HTTP1,
                List.of(new EndpointConfig("localhost", 9083, 1)),
                Duration.ofSeconds(1),
                1024));
    RouteConfig read = config.routes().get(0);
    assertThat(read.match())
        .isEqualTo(
            new MatchConfig(
                PathKind.PREFIX,
                "/reviews",
                List.of("GET", "HEAD"),
                Map.of("x-user-group", "beta"),
                List.of("reviews.local", "*.example.com")));
    assertThat(read.backends())
        .containsExactly(new BackendRef("reviews-v1", 90), new BackendRef("reviews-v2", 10));
    assertThat(read.timeout()).isEqualTo(Duration.ofSeconds(2));
    assertThat(read.plugins())
        .containsExactly(
            new PluginEntry(
                "authn-jwt",
                FilterMode.ENFORCE,
                Map.of("issuer", "https://idp.test", "audiences", List.of("reviews"))),
            new PluginEntry("ratelimit", FilterMode.SHADOW, Map.of("tokens", 100, "per", "1s")),
            new PluginEntry("fault", FilterMode.OFF, Map.of()));

    RouteConfig catchAll = config.routes().get(1);
    assertThat(catchAll.match()).isEqualTo(ConfigLoader.MATCH_ALL);
    assertThat(catchAll.backends()).containsExactly(new BackendRef("reviews-v2", 1));
    assertThat(catchAll.timeout()).isNull();
    assertThat(catchAll.plugins()).isEmpty();
  }

  @Test
  void pluginConfigIsAnImmutableCopy() {
    Object pluginConfig =
        ConfigLoader.parseYaml(FULL, "x").routes().get(0).plugins().get(0).config();
    assertThatThrownBy(() -> cast(pluginConfig).put("k", "v"))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> cast(Object o) {
    return (Map<String, Object>) o;
  }

  @Test
  void exactAndRegexPathsAndSingleAuthority() {
    MeshConfig config =
        ConfigLoader.parseYaml(
            """
            clusters: [{name: c, endpoints: [{address: "127.0.0.1:1"}]}]
            routes:
              - {name: a, match: {path: /exact, authority: api.local}, cluster: c}
              - {name: b, match: {pathRegex: "/v[0-9]+/.*"}, cluster: c}
            """,
            "t");
    assertThat(config.routes().get(0).match().pathKind()).isEqualTo(PathKind.EXACT);
    assertThat(config.routes().get(0).match().authorities()).containsExactly("api.local");
    assertThat(config.routes().get(1).match().pathKind()).isEqualTo(PathKind.REGEX);
    assertThat(config.routes().get(1).match().path()).isEqualTo("/v[0-9]+/.*");
  }

  @Test
  void emptyDocumentIsAnEmptyConfig() {
    assertThat(ConfigLoader.parseYaml("", "t"))
        .isEqualTo(new MeshConfig(List.of(), List.of(), List.of()));
    assertThat(ConfigLoader.parseYaml("# nothing\n", "t").routes()).isEmpty();
  }

  @Test
  void roundTripsThroughTheTree() {
    MeshConfig config = ConfigLoader.parseYaml(FULL, "routes.yaml");
    Map<String, Object> tree = ConfigLoader.toTree(config);
    assertThat(ConfigLoader.fromTree(tree, "tree")).isEqualTo(config);
    assertThat(ConfigLoader.toTree(ConfigLoader.fromTree(tree, "tree"))).isEqualTo(tree);
  }

  @Test
  void readsJsonTextToo() {
    MeshConfig config =
        ConfigLoader.parseYaml(
            "{\"clusters\": [{\"name\": \"c\", \"endpoints\": [{\"address\": \"10.0.0.1:80\"}]}],"
                + " \"routes\": [{\"name\": \"r\", \"cluster\": \"c\"}]}",
            "json");
    assertThat(config.routes()).hasSize(1);
  }

  @Test
  void reportsPluginProblemsWithRouteAndPluginAndPosition() {
    // a field the loader cannot read inside a plugin entry: mode
    ConfigError error =
        error(
            """
            clusters: [{name: c, endpoints: [{address: "127.0.0.1:1"}]}]
            routes:
              - name: reviews-read
                cluster: c
                plugins:
                  - {name: authn-jwt}
                  - {name: rbac}
                  - {name: ratelimit, mode: loud, config: {tokens: -1}}
            """);
    assertThat(error.problems())
        .containsExactly(
            new Problem(
                "reviews-read",
                "ratelimit",
                "routes[0].plugins[2].mode",
                "\"loud\" (expected: one of enforce, shadow, off)"));
    assertThat(error.getMessage())
        .isEqualTo(
            "invalid config test.yaml (1 problem):\n"
                + "  route 'reviews-read', plugin 'ratelimit' (#3): mode: \"loud\" (expected: one"
                + " of enforce, shadow, off)");
  }

  @Test
  void collectsEveryProblemAtOnce() {
    ConfigError error =
        error(
            """
            clusters:
              - name: reviews-v1
                endpoints: [{address: 127.0.0.1:9081}]
              - name: reviews-v2
                lb: fastest
                connectTimeout: soon
                endpoints: [{address: foo}, {address: 127.0.0.1:9082, weight: heavy}]
            routes:
              - name: r
                match: {pathPrefx: /x}
                cluster: reviews-v1
                timeout: 2
            """);
    assertThat(error.getMessage())
        .contains(
            "clusters[1] 'reviews-v2': lb: \"fastest\" (expected: one of round_robin, random,"
                + " weighted_random, least_request)",
            "clusters[1] 'reviews-v2': connectTimeout: \"soon\" (expected: a duration",
            "clusters[1] 'reviews-v2': endpoints[0].address: \"foo\" (expected: host:port or"
                + " [ipv6]:port)",
            "clusters[1] 'reviews-v2': endpoints[1].weight: \"heavy\" (expected: an integer)",
            "route 'r': match.pathPrefx: unknown field (expected one of: pathPrefix, path,"
                + " pathRegex, methods, headers, authority)",
            "route 'r': timeout: 2 (expected: a duration");
    assertThat(error.problems()).hasSize(6);
    assertThat(error.problems())
        .contains(
            new Problem(
                null,
                null,
                "clusters[1].endpoints[0].address",
                "\"foo\" (expected: host:port or [ipv6]:port)"));
  }

  @Test
  void rejectsUnknownFieldsEverywhere() {
    ConfigError error =
        error(
            """
            apiVersion: v1
            listeners: [{name: l, address: "127.0.0.1:0", tls: {cert: x}}]
            clusters: [{name: c, endpoints: [{address: "127.0.0.1:1", zone: a}]}]
            routes: [{name: r, cluster: c, retries: 3, plugins: [{name: p, enabled: false}]}]
            """);
    assertThat(error.problems())
        .extracting(Problem::field)
        .containsExactlyInAnyOrder(
            "apiVersion",
            "listeners[0].tls.cert",
            "listeners[0].tls.certificateFile",
            "listeners[0].tls.privateKeyFile",
            "clusters[0].endpoints[0].zone",
            "routes[0].retries",
            "routes[0].plugins[0].enabled");
    assertThat(error.getMessage())
        .contains("apiVersion: unknown field (expected one of: listeners, clusters, routes)")
        .contains(
            "route 'r', plugin 'p' (#1): enabled: unknown field (expected one of: name,"
                + " mode, config)");
  }

  @Test
  void suggestsTheFieldWhenOnlyTheCaseDiffers() {
    assertThat(error("routes: [{name: r, Cluster: c}]").getMessage())
        .contains("did you mean 'cluster'?");
  }

  @Test
  void clusterResilienceSettingsParseRoundTripAndDefault() {
    MeshConfig config =
        ConfigLoader.parseYaml(
            """
            clusters:
              - name: c
                endpoints: [{address: "127.0.0.1:1"}]
                healthCheck: {path: /healthz, interval: 5s, type: tcp}
                circuitBreaker: {maxConnections: 1}
                outlierDetection: {consecutive5xx: 5, baseEjectionTime: 10s}
              - name: plain
                endpoints: [{address: "127.0.0.1:2"}]
            """,
            "x");
    ClusterConfig c = config.clusters().get(0);
    assertThat(c.circuitBreaker().maxConnections()).isEqualTo(1);
    assertThat(c.circuitBreaker().maxRequests())
        .isEqualTo(CircuitBreakerConfig.DEFAULTS.maxRequests());
    assertThat(c.outlierDetection().baseEjectionTime()).isEqualTo(Duration.ofSeconds(10));
    assertThat(c.outlierDetection().maxEjectionPercent()).isEqualTo(10);
    assertThat(c.healthCheck().type()).isEqualTo(HealthCheckConfig.Type.TCP);
    assertThat(c.healthCheck().unhealthyThreshold()).isEqualTo(3);
    ClusterConfig plain = config.clusters().get(1);
    assertThat(plain.circuitBreaker()).isEqualTo(CircuitBreakerConfig.DEFAULTS);
    assertThat(plain.outlierDetection()).isNull();
    assertThat(plain.healthCheck()).isNull();
    assertThat(ConfigLoader.fromTree(ConfigLoader.toTree(config), "round-trip")).isEqualTo(config);
  }

  @Test
  void clusterResilienceSettingsAreChecked() {
    ConfigError error =
        error(
            """
            clusters:
              - name: c
                endpoints: [{address: "127.0.0.1:1"}]
                healthCheck: {path: healthz, interval: 0s}
                circuitBreaker: {maxConnections: 0}
                outlierDetection: {maxEjectionPercent: 120, colour: red}
            """);
    assertThat(error.problems())
        .extracting(Problem::field)
        .contains(
            "clusters[0].healthCheck.path",
            "clusters[0].healthCheck.interval",
            "clusters[0].circuitBreaker.maxConnections",
            "clusters[0].outlierDetection.colour");
  }

  @Test
  void clusterIdleTimeoutParsesDefaultsAndRoundTrips() {
    MeshConfig config =
        ConfigLoader.parseYaml(
            """
            clusters:
              - {name: short, idleTimeout: 250ms, endpoints: [{address: "127.0.0.1:1"}]}
              - {name: plain, endpoints: [{address: "127.0.0.1:2"}]}
            """,
            "x");
    assertThat(config.clusters().get(0).idleTimeout()).isEqualTo(Duration.ofMillis(250));
    assertThat(config.clusters().get(1).idleTimeout())
        .isEqualTo(ConfigLoader.DEFAULT_IDLE_TIMEOUT)
        .isEqualTo(Duration.ofSeconds(60));
    Map<String, Object> tree = ConfigLoader.toTree(config);
    assertThat(((Map<?, ?>) ((List<?>) tree.get("clusters")).get(0)).get("idleTimeout"))
        .isEqualTo("250ms");
    assertThat(ConfigLoader.fromTree(tree, "round-trip")).isEqualTo(config);
  }

  @Test
  void listenerHeadersWithUnderscoresParsesDefaultsAndRoundTrips() {
    MeshConfig config =
        ConfigLoader.parseYaml(
            """
            listeners:
              - {name: a, address: "127.0.0.1:0", headersWithUnderscores: allow}
              - {name: r, address: "127.0.0.1:0", headersWithUnderscores: reject}
              - {name: d, address: "127.0.0.1:0"}
            """,
            "x");
    assertThat(config.listeners())
        .extracting(ListenerConfig::headersWithUnderscores)
        .containsExactly(
            HeadersWithUnderscores.ALLOW,
            HeadersWithUnderscores.REJECT,
            HeadersWithUnderscores.DROP);
    assertThat(ListenerConfig.DEFAULT_HEADERS_WITH_UNDERSCORES)
        .isEqualTo(HeadersWithUnderscores.DROP);
    Map<String, Object> tree = ConfigLoader.toTree(config);
    assertThat(((Map<?, ?>) ((List<?>) tree.get("listeners")).get(0)).get("headersWithUnderscores"))
        .isEqualTo("allow");
    assertThat(ConfigLoader.fromTree(tree, "round-trip")).isEqualTo(config);
  }

  @Test
  void listenerHeadersWithUnderscoresIsChecked() {
    assertThat(
            error(
                    """
                    listeners: [{name: l, address: "127.0.0.1:0", headersWithUnderscores: strip}]
                    """)
                .problems())
        .extracting(Problem::field, Problem::message)
        .containsExactly(
            tuple(
                "listeners[0].headersWithUnderscores",
                "\"strip\" (expected: one of allow, drop, reject)"));
  }

  @Test
  void clusterIdleTimeoutIsChecked() {
    assertThat(
            error(
                    """
                    clusters: [{name: c, idleTimeout: 0s, endpoints: [{address: "127.0.0.1:1"}]}]
                    """)
                .problems())
        .extracting(Problem::field, Problem::message)
        .containsExactly(tuple("clusters[0].idleTimeout", "0s (expected: > 0)"));
    assertThat(
            error(
                    """
                    clusters: [{name: c, idleTimeout: soon, endpoints: [{address: "127.0.0.1:1"}]}]
                    """)
                .problems())
        .extracting(Problem::field)
        .containsExactly("clusters[0].idleTimeout");
  }

  @Test
  void eachFromTreeLeavesReferencesAndSharedAddressesToTheWholeConfig() throws Exception {
    String yaml =
        """
        listeners:
          - {name: a, address: "127.0.0.1:8080", routes: [r, r2]}
          - {name: b, address: "127.0.0.1:8080"}
        routes: [{name: r, cluster: elsewhere}]
        """;
    MeshConfig each = ConfigLoader.eachFromTree(YamlTree.parse(yaml), "x");
    assertThat(each.listeners()).hasSize(2);
    assertThat(error(yaml).problems())
        .extracting(Problem::field)
        .containsExactlyInAnyOrder(
            "listeners[0].routes[1]", "listeners[1].address", "routes[0].backends[0].cluster");
    Object negative = YamlTree.parse("routes: [{name: r, backends: [{cluster: c, weight: -1}]}]");
    assertThatThrownBy(() -> ConfigLoader.eachFromTree(negative, "x"))
        .isInstanceOfSatisfying(
            ConfigError.class,
            e ->
                assertThat(e.problems())
                    .extracting(Problem::field)
                    .contains("routes[0].backends[0].weight"));
  }

  @Test
  void withEndpointsAppendsAddressesNotListedYet() {
    Map<?, ?> root =
        ConfigLoader.toTree(
            ConfigLoader.parseYaml(
                "clusters: [{name: c, endpoints: [{address: \"10.0.0.1:80\"}]}]", "x"));
    @SuppressWarnings("unchecked")
    Map<String, Object> cluster = (Map<String, Object>) ((List<?>) root.get("clusters")).get(0);
    Map<String, Integer> registered = new LinkedHashMap<>();
    registered.put("10.0.0.1:80", 5);
    registered.put("10.0.0.2:80", 2);
    Map<String, Object> more = ConfigLoader.withEndpoints(cluster, registered);
    ClusterConfig read =
        ConfigLoader.fromTree(Map.of("clusters", List.of(more)), "x").clusters().get(0);
    assertThat(read.endpoints())
        .containsExactly(
            new EndpointConfig("10.0.0.1", 80, 1), new EndpointConfig("10.0.0.2", 80, 2));
    assertThat((List<?>) cluster.get("endpoints")).hasSize(1);
  }

  @Test
  void pathKindsAreExclusive() {
    assertThat(
            error("routes: [{name: r, cluster: c, match: {pathPrefix: /a, pathRegex: x}}]")
                .problems())
        .extracting(Problem::message)
        .contains(
            "pathPrefix and pathRegex both set (expected: exactly one of pathPrefix, path,"
                + " pathRegex)");
  }

  @Test
  void routeNeedsBackendsOrCluster() {
    assertThat(error("routes: [{name: r}]").getMessage())
        .contains("route 'r': backends: missing (expected: backends:");
    assertThat(
            error("clusters: [{name: c}]\nroutes: [{name: r, cluster: c, backends: []}]")
                .getMessage())
        .contains("route 'r': cluster: set together with backends");
  }

  @Test
  void headerValuesMustBeStrings() {
    assertThat(error("routes: [{name: r, cluster: c, match: {headers: {x-v: 2}}}]").getMessage())
        .contains("route 'r': match.headers.x-v: 2 (expected: a string; quote numbers");
  }

  @Test
  void wrongTypesAreNamed() {
    assertThat(error("- a\n- b\n").getMessage()).endsWith("\n  a list (expected: an object)");
    assertThat(error("routes: {name: r}").getMessage())
        .contains("routes: an object (expected: a list)");
    assertThat(
            error("routes: [{name: r, cluster: c, plugins: [{name: p, config: [1]}]}]")
                .getMessage())
        .contains("route 'r', plugin 'p' (#1): config: a list (expected: an object)");
  }

  @Test
  void semanticProblemsComeFromTheValidator() {
    ConfigError error =
        error(
            """
            clusters: [{name: c, endpoints: [{address: "127.0.0.1:70000"}]}]
            routes: [{name: r, cluster: missing}]
            """);
    assertThat(error.getMessage())
        .contains(
            "clusters[0] 'c': endpoints[0].address: \"127.0.0.1:70000\" (expected: a port in"
                + " 1..65535)",
            "route 'r': backends[0].cluster: \"missing\" (expected: the name of a cluster; known:"
                + " c)");
  }

  @Test
  void syntaxErrorsCarryTheLine() {
    ConfigError error = error("routes:\n  - name: a\n   cluster: b\n");
    assertThat(error.problems()).hasSize(1);
    assertThat(error.problems().get(0).field()).isEmpty();
    assertThat(error.getMessage()).contains("line 3, column");
  }

  @Test
  void duplicateKeysAreRejected() {
    assertThat(error("routes: []\nroutes: []\n").getMessage())
        .contains("line 2", "Duplicate", "\"routes\"");
  }

  @Test
  void aliasesAreRejectedNotMisread() {
    ConfigError error =
        error(
            """
            clusters:
              - &c {name: c, endpoints: [{address: "127.0.0.1:1"}]}
              - *c
            """);
    assertThat(error.getMessage()).contains("alias *c", "anchors and aliases are not supported");
  }

  @Test
  void aBillionLaughsDocumentIsRefusedQuickly() {
    StringBuilder yaml = new StringBuilder("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for (int i = 1; i < 10; i++) {
      yaml.append("a").append(i).append(": &a").append(i).append(" [");
      for (int j = 0; j < 10; j++) {
        yaml.append(j == 0 ? "" : ", ").append("*a").append(i - 1);
      }
      yaml.append("]\n");
    }
    assertThat(error(yaml.toString()).getMessage()).contains("alias *a0");
  }

  @Test
  void deepNestingIsBounded() {
    String deep = "routes: " + "[".repeat(200) + "]".repeat(200);
    assertThat(error(deep).getMessage()).contains("nesting deeper than");
  }

  @Test
  void oversizedDocumentsAreRefusedBeforeParsing() {
    String big = "#".repeat(ConfigLoader.MAX_DOCUMENT_BYTES + 1);
    assertThat(error(big).getMessage()).contains("(expected: at most 16777216)");
  }

  @Test
  void multipleDocumentsAreRefused() {
    assertThat(error("routes: []\n---\nroutes: []\n").getMessage()).contains("a second document");
  }

  @Test
  void loadsFilesAndResolvesTlsPathsAgainstTheirFolder(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("routes.yaml");
    Files.writeString(
        file,
        "listeners: [{name: l, address: \"127.0.0.1:0\","
            + " tls: {certificateFile: c.pem, privateKeyFile: /etc/k.pem}}]\n");
    MeshConfig config = ConfigLoader.load(file);
    TlsConfig tls = config.listeners().get(0).tls();
    assertThat(tls.certificateFile()).isEqualTo(dir.toAbsolutePath().resolve("c.pem").toString());
    assertThat(tls.privateKeyFile()).isEqualTo("/etc/k.pem");
  }

  @Test
  void aMissingFileIsAConfigError(@TempDir Path dir) {
    Path file = dir.resolve("absent.yaml");
    assertThatThrownBy(() -> ConfigLoader.load(file))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("cannot read the file")
        .hasMessageContaining("absent.yaml");
  }

  @Test
  void fromTreeAcceptsLongsAndDoublesThatAreWhole() {
    Map<String, Object> tree =
        Map.of(
            "clusters",
            List.of(
                Map.of(
                    "name",
                    "c",
                    "maxConnectionsPerEndpoint",
                    8.0,
                    "endpoints",
                    List.of(Map.of("address", "127.0.0.1:1", "weight", 2L)))));
    ClusterConfig c = ConfigLoader.fromTree(tree, "struct").clusters().get(0);
    assertThat(c.maxConnectionsPerEndpoint()).isEqualTo(8);
    assertThat(c.endpoints().get(0).weight()).isEqualTo(2);
  }

  private static ConfigError error(String yaml) {
    try {
      ConfigLoader.parseYaml(yaml, "test.yaml");
    } catch (ConfigError e) {
      return e;
    }
    throw new AssertionError("expected a ConfigError for:\n" + yaml);
  }
}
