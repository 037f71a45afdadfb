package io.plugmesh.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.plugmesh.config.ConfigError.Problem;
import io.plugmesh.config.MatchConfig.PathKind;
import io.plugmesh.filters.advanced.FilterMode;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConfigValidatorTest {
  private static final ClusterConfig CLUSTER =
      cluster("c", List.of(new EndpointConfig("127.0.0.1", 8080, 1)));

  private static ClusterConfig cluster(String name, List<EndpointConfig> endpoints) {
    return new ClusterConfig(
        name, LbPolicy.ROUND_ROBIN, UpstreamProtocol.HTTP1, endpoints, Duration.ofSeconds(1), 8);
  }

  private static RouteConfig route(String name, MatchConfig match, List<BackendRef> backends) {
    return new RouteConfig(name, match, backends, null, List.of());
  }

  private static MatchConfig prefix(String path) {
    return new MatchConfig(PathKind.PREFIX, path, List.of(), Map.of(), List.of());
  }

  private static List<String> problems(MeshConfig config) {
    try {
      ConfigValidator.validate(config, "control stream");
    } catch (ConfigError e) {
      assertThat(e.getMessage()).startsWith("invalid config control stream (");
      return e.getMessage().lines().skip(1).map(String::strip).toList();
    }
    return List.of();
  }

  @Test
  void acceptsAValidConfig() {
    MeshConfig config =
        new MeshConfig(
            List.of(new ListenerConfig("in", "127.0.0.1", 0, null, List.of("r"))),
            List.of(CLUSTER),
            List.of(route("r", prefix("/"), List.of(new BackendRef("c", 1)))));
    assertThatCode(() -> ConfigValidator.validate(config)).doesNotThrowAnyException();
  }

  @Test
  void namesMustBeUniqueAndWellFormed() {
    MeshConfig config =
        new MeshConfig(
            List.of(
                new ListenerConfig("l", "127.0.0.1", 0, null, List.of()),
                new ListenerConfig("l", "127.0.0.1", 0, null, List.of())),
            List.of(CLUSTER, CLUSTER, cluster("bad name", List.of())),
            List.of(
                route("r", prefix("/"), List.of(new BackendRef("c", 1))),
                route("r", prefix("/"), List.of(new BackendRef("c", 1))),
                route(null, prefix("/"), List.of(new BackendRef("c", 1)))));
    assertThat(problems(config))
        .containsExactlyInAnyOrder(
            "clusters[1] 'c': name: \"c\" used twice (expected: a unique name)",
            "clusters[2] 'bad name': name: \"bad name\" (expected: 1 to 128 letters, digits, '.',"
                + " '_' or '-', starting with a letter or digit)",
            "route 'r': name: \"r\" used twice (expected: a unique name)",
            "routes[2]: name: missing (expected: 1 to 128 letters, digits, '.', '_' or '-',"
                + " starting with a letter or digit)",
            "listeners[1] 'l': name: \"l\" used twice (expected: a unique name)");
  }

  @Test
  void referencesMustResolve() {
    MeshConfig config =
        new MeshConfig(
            List.of(new ListenerConfig("l", "127.0.0.1", 0, null, List.of("r", "nope", "r"))),
            List.of(CLUSTER),
            List.of(route("r", prefix("/"), List.of(new BackendRef("missing", 1)))));
    assertThat(problems(config))
        .containsExactly(
            "route 'r': backends[0].cluster: \"missing\" (expected: the name of a cluster; known:"
                + " c)",
            "listeners[0] 'l': routes[1]: \"nope\" (expected: the name of a route; known: r)",
            "listeners[0] 'l': routes[2]: \"r\" listed twice (expected: each route once)");
  }

  @Test
  void weightsMustBeSane() {
    MeshConfig config =
        new MeshConfig(
            List.of(),
            List.of(cluster("c", List.of(new EndpointConfig("127.0.0.1", 1, 0)))),
            List.of(
                route("zero", prefix("/"), List.of(new BackendRef("c", 0), new BackendRef("c", 0))),
                route("negative", prefix("/"), List.of(new BackendRef("c", -1))),
                route("none", prefix("/"), List.of())));
    assertThat(problems(config))
        .containsExactly(
            "clusters[0] 'c': endpoints[0].weight: 0 (expected: >= 1)",
            "route 'zero': backends: weights sum to 0 (expected: at least one weight > 0)",
            "route 'negative': backends[0].weight: -1 (expected: >= 0)",
            "route 'negative': backends: weights sum to 0 (expected: at least one weight > 0)",
            "route 'none': backends: empty (expected: at least one backend cluster)");
  }

  @Test
  void matchSyntaxIsChecked() {
    MatchConfig badRegex = new MatchConfig(PathKind.REGEX, "/v(", List.of(), Map.of(), List.of());
    MatchConfig badRest =
        new MatchConfig(
            PathKind.PREFIX,
            "/a/../b",
            List.of("GET", "get", "GE T", "GET"),
            Map.of("X-Upper", "v", "bad name", "v", "ok", "a\nb"),
            List.of("api.local", "*.example.com", "host:8080", "[::1]", "::1", "bad_host!"));
    MatchConfig relative = new MatchConfig(PathKind.EXACT, "a", List.of(), Map.of(), List.of());
    MatchConfig slashes = prefix("/a//b");
    List<BackendRef> c = List.of(new BackendRef("c", 1));
    MeshConfig config =
        new MeshConfig(
            List.of(),
            List.of(CLUSTER),
            List.of(
                route("regex", badRegex, c),
                route("rest", badRest, c),
                route("relative", relative, c),
                route("slashes", slashes, c)));
    List<String> problems = problems(config);
    assertThat(problems)
        .anySatisfy(
            p ->
                assertThat(p)
                    .startsWith(
                        "route 'regex': match.pathRegex: \"/v(\" does not compile: Unclosed group"))
        .contains(
            "route 'rest': match.pathPrefix: \"/a/../b\" (expected: a normalized path without . or"
                + " .. segments)",
            "route 'rest': match.methods[1]: \"get\" (expected: upper case, methods are"
                + " case-sensitive: GET)",
            "route 'rest': match.methods[2]: \"GE T\" (expected: an HTTP method token such as"
                + " GET)",
            "route 'rest': match.methods[3]: \"GET\" listed twice (expected: each method once)",
            "route 'rest': match.headers.X-Upper: header name \"X-Upper\" (expected: lower case)",
            "route 'rest': match.headers.bad name: header name \"bad name\" (expected: a header"
                + " name token)",
            "route 'rest': match.headers.ok: value has control character 0xa (expected: visible"
                + " characters, spaces and tabs)",
            "route 'rest': match.authority[2]: \"host:8080\" (expected: a host name, IP address or"
                + " *.suffix, without port; ports are ignored when matching)",
            "route 'rest': match.authority[5]: \"bad_host!\" (expected: a host name, IP address or"
                + " *.suffix)",
            "route 'relative': match.path: \"a\" (expected: a path starting with /)",
            "route 'slashes': match.pathPrefix: \"/a//b\" (expected: a normalized path without //,"
                + " request paths have duplicate slashes merged)");
    assertThat(problems).hasSize(12);
  }

  @Test
  void portsAndTimeoutsAreChecked() {
    ClusterConfig zeroTimeout =
        new ClusterConfig(
            "t",
            LbPolicy.RANDOM,
            UpstreamProtocol.HTTP1,
            List.of(new EndpointConfig("127.0.0.1", 0, 1), new EndpointConfig("::1", 70000, 1)),
            Duration.ZERO,
            0);
    RouteConfig negativeTimeout =
        new RouteConfig(
            "r", prefix("/"), List.of(new BackendRef("t", 1)), Duration.ofSeconds(-2), List.of());
    MeshConfig config =
        new MeshConfig(
            List.of(
                new ListenerConfig("a", "127.0.0.1", 65536, null, List.of()),
                new ListenerConfig("b", "127.0.0.1", 8080, null, List.of()),
                new ListenerConfig("c", "127.0.0.1", 8080, new TlsConfig("", "k.pem"), List.of())),
            List.of(zeroTimeout),
            List.of(negativeTimeout));
    assertThat(problems(config))
        .containsExactly(
            "clusters[0] 't': connectTimeout: 0s (expected: > 0)",
            "clusters[0] 't': maxConnectionsPerEndpoint: 0 (expected: >= 1)",
            "clusters[0] 't': endpoints[0].address: \"127.0.0.1:0\" (expected: a port in"
                + " 1..65535)",
            "clusters[0] 't': endpoints[1].address: \"[::1]:70000\" (expected: a port in"
                + " 1..65535)",
            "route 'r': timeout: -2s (expected: > 0)",
            "listeners[0] 'a': address: \"127.0.0.1:65536\" (expected: a port in 0..65535)",
            "listeners[2] 'c': address: \"127.0.0.1:8080\" also used by listener 'b' (expected:"
                + " distinct)",
            "listeners[2] 'c': tls.certificateFile: \"\" (expected: a PEM file path)");
  }

  @Test
  void nullPartsFromAControlStreamAreProblemsNotCrashes() {
    ClusterConfig nulls = new ClusterConfig("n", null, null, List.of(), null, 1);
    RouteConfig route =
        new RouteConfig(
            "r",
            null,
            List.of(new BackendRef("n", 1)),
            null,
            List.of(
                new PluginEntry("p", null, null), new PluginEntry(" ", FilterMode.OFF, Map.of())));
    ConfigError error;
    try {
      ConfigValidator.validate(new MeshConfig(List.of(), List.of(nulls), List.of(route)));
      throw new AssertionError("expected a ConfigError");
    } catch (ConfigError e) {
      error = e;
    }
    assertThat(error.problems())
        .contains(
            new Problem(
                null,
                null,
                "clusters[0].lb",
                "null (expected: one of round_robin, random," + " weighted_random, ...)"),
            new Problem(
                "r",
                "p",
                "routes[0].plugins[0].mode",
                "null (expected: one of enforce, shadow, off)"),
            new Problem("r", " ", "routes[0].plugins[1].name", "\" \" (expected: a plugin name)"));
    assertThat(error.getMessage())
        .contains("route 'r', plugin 'p' (#1): config: null (expected: an object, {} when empty)")
        .contains("route 'r': match: null (expected: a match; use pathPrefix: / for every request)")
        .contains("clusters[0] 'n': connectTimeout: null (expected: a duration > 0 such as 2s)");
  }
}
