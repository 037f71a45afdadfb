package io.plugmesh.config;

import static java.util.Objects.requireNonNull;

import io.plugmesh.config.MatchConfig.PathKind;
import io.plugmesh.config.Problems.Scope;
import io.plugmesh.filters.ConfigException;
import io.plugmesh.filters.ConfigNode;
import io.plugmesh.filters.advanced.FilterMode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Reads a {@link MeshConfig} from YAML text, a file, or a tree of plain values (from JSON or a
 * protobuf {@code Struct}), and writes one back as a tree. Every problem in the document is
 * reported at once, each with its route, plugin and field; see {@code docs/configuration.md}.
 *
 * <p>This is the one place that knows every field of the model (the control stream carries the same
 * documents as {@code Struct}s, so nothing else does): adding a field means its record, its rule
 * here and in {@link ConfigValidator}, and its docs. That is why it is longer than a class should
 * be; each resource's rules read top to bottom in one method (listener, cluster, route).
 *
 * <pre>{@code
 * MeshConfig config = ConfigLoader.load(Path.of("conf/routes.yaml")); // throws ConfigError
 * }</pre>
 */
public final class ConfigLoader {
  /** The largest config file or text accepted: 16 MiB. */
  public static final int MAX_DOCUMENT_BYTES = YamlTree.MAX_DOCUMENT_CHARS;

  /** {@code lb} when a cluster sets none. */
  public static final LbPolicy DEFAULT_LB = LbPolicy.ROUND_ROBIN;

  /** {@code protocol} when a cluster sets none. */
  public static final UpstreamProtocol DEFAULT_PROTOCOL = UpstreamProtocol.HTTP1;

  /** {@code connectTimeout} when a cluster sets none. */
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(1);

  /** {@code idleTimeout} when a cluster sets none. */
  public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(60);

  /** {@code maxConnectionsPerEndpoint} when a cluster sets none. */
  public static final int DEFAULT_MAX_CONNECTIONS_PER_ENDPOINT = 1024;

  /** {@code weight} of an endpoint or backend that sets none. */
  public static final int DEFAULT_WEIGHT = 1;

  /** The match of a route that sets none: every path. */
  public static final MatchConfig MATCH_ALL =
      new MatchConfig(PathKind.PREFIX, "/", List.of(), Map.of(), List.of());

  private static final List<String> TOP_FIELDS = List.of("listeners", "clusters", "routes");
  private static final List<String> LISTENER_FIELDS =
      List.of("name", "address", "tls", "routes", "headersWithUnderscores");
  private static final List<String> TLS_FIELDS =
      List.of("certificateFile", "privateKeyFile", "clientCaFile", "mode");
  private static final List<String> UPSTREAM_TLS_FIELDS =
      List.of("certificateFile", "privateKeyFile", "caFile", "serverIdentity");
  private static final List<String> CLUSTER_FIELDS =
      List.of(
          "name",
          "lb",
          "protocol",
          "connectTimeout",
          "idleTimeout",
          "maxConnectionsPerEndpoint",
          "endpoints",
          "circuitBreaker",
          "outlierDetection",
          "healthCheck",
          "tls");
  private static final Map<String, String> CLUSTER_PLANNED = Map.of();
  private static final List<String> BREAKER_FIELDS =
      List.of("maxConnections", "maxPendingRequests", "maxRequests", "maxRetries");
  private static final List<String> OUTLIER_FIELDS =
      List.of(
          "consecutive5xx",
          "consecutiveGatewayErrors",
          "baseEjectionTime",
          "maxEjectionTime",
          "maxEjectionPercent");
  private static final List<String> HEALTH_FIELDS =
      List.of("type", "path", "interval", "timeout", "healthyThreshold", "unhealthyThreshold");
  private static final List<String> ENDPOINT_FIELDS = List.of("address", "weight");
  private static final List<String> ROUTE_FIELDS =
      List.of("name", "match", "backends", "cluster", "timeout", "plugins");
  private static final List<String> MATCH_FIELDS =
      List.of("pathPrefix", "path", "pathRegex", "methods", "headers", "authority");
  private static final List<String> BACKEND_FIELDS = List.of("cluster", "weight");
  private static final List<String> PLUGIN_FIELDS = List.of("name", "mode", "config");

  private ConfigLoader() {}

  /**
   * Reads and validates a config file. Relative TLS file paths resolve against the file's folder.
   *
   * @param file a YAML (or JSON) file
   * @return the config
   * @throws ConfigError if the file cannot be read, is malformed or invalid
   */
  public static MeshConfig load(Path file) {
    requireNonNull(file, "file");
    String text = readFile(file);
    MeshConfig config = parseYaml(text, file.toString());
    Path folder = file.toAbsolutePath().getParent();
    return folder == null ? config : resolveTls(config, folder);
  }

  /**
   * Reads and validates YAML (or JSON) text.
   *
   * @param yaml the document
   * @param source where it came from, for messages (a file name, "admin API")
   * @return the config
   * @throws ConfigError if the text is malformed or invalid
   */
  public static MeshConfig parseYaml(String yaml, String source) {
    requireNonNull(yaml, "yaml");
    return fromTree(parseTree(yaml, source), source);
  }

  /**
   * Maps and validates a tree of plain values: {@code Map<String, ?>}, {@code List<?>}, {@code
   * String}, {@code Number}, {@code Boolean}, null.
   *
   * @param tree the root, an object with {@code listeners}, {@code clusters}, {@code routes}
   * @param source where it came from, for messages
   * @return the config
   * @throws ConfigError naming every problem found
   */
  public static MeshConfig fromTree(Object tree, String source) {
    Problems problems = new Problems();
    MeshConfig config = read(ConfigNode.of(tree), problems);
    problems.throwIfAny(source);
    ConfigValidator.validate(config, source);
    return config;
  }

  /**
   * Maps and validates each listener, cluster and route of a tree on its own, as resources kept for
   * different proxies: what {@link #fromTree} checks except references between them (a route's
   * backend clusters, a listener's routes) and addresses shared by listeners.
   *
   * @param tree the root, an object with {@code listeners}, {@code clusters}, {@code routes}
   * @param source where it came from, for messages
   * @return the resources
   * @throws ConfigError naming every problem found
   */
  public static MeshConfig eachFromTree(Object tree, String source) {
    Problems problems = new Problems();
    MeshConfig config = read(ConfigNode.of(tree), problems);
    problems.throwIfAny(source);
    ConfigValidator.validateEach(config, source);
    return config;
  }

  /**
   * Writes a config as a tree of plain values that {@link #fromTree} reads back to an equal config
   * (durations as text such as {@code 2s}, enums in their config names).
   *
   * @param config the config
   * @return an ordered, mutable tree
   */
  public static Map<String, Object> toTree(MeshConfig config) {
    requireNonNull(config, "config");
    Map<String, Object> root = new LinkedHashMap<>();
    List<Object> listeners = new ArrayList<>();
    for (ListenerConfig l : config.listeners()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("name", l.name());
      m.put("address", HostPort.format(l.host(), l.port()));
      if (l.tls() != null) {
        Map<String, Object> tls = new LinkedHashMap<>();
        tls.put("certificateFile", l.tls().certificateFile());
        tls.put("privateKeyFile", l.tls().privateKeyFile());
        if (l.tls().clientCaFile() != null) {
          tls.put("clientCaFile", l.tls().clientCaFile());
        }
        tls.put("mode", l.tls().mode().name().toLowerCase(Locale.ROOT));
        m.put("tls", tls);
      }
      if (!l.routes().isEmpty()) {
        m.put("routes", new ArrayList<Object>(l.routes()));
      }
      if (l.headersWithUnderscores() != ListenerConfig.DEFAULT_HEADERS_WITH_UNDERSCORES) {
        m.put("headersWithUnderscores", l.headersWithUnderscores().name().toLowerCase(Locale.ROOT));
      }
      listeners.add(m);
    }
    List<Object> clusters = new ArrayList<>();
    for (ClusterConfig c : config.clusters()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("name", c.name());
      m.put("lb", c.lb().configName());
      m.put("protocol", c.protocol().name().toLowerCase(Locale.ROOT));
      m.put("connectTimeout", Trees.duration(c.connectTimeout()));
      m.put("idleTimeout", Trees.duration(c.idleTimeout()));
      m.put("maxConnectionsPerEndpoint", c.maxConnectionsPerEndpoint());
      List<Object> endpoints = new ArrayList<>();
      for (EndpointConfig e : c.endpoints()) {
        Map<String, Object> em = new LinkedHashMap<>();
        em.put("address", e.address());
        em.put("weight", e.weight());
        endpoints.add(em);
      }
      m.put("endpoints", endpoints);
      CircuitBreakerConfig cb = c.circuitBreaker();
      Map<String, Object> cbm = new LinkedHashMap<>();
      cbm.put("maxConnections", cb.maxConnections());
      cbm.put("maxPendingRequests", cb.maxPendingRequests());
      cbm.put("maxRequests", cb.maxRequests());
      cbm.put("maxRetries", cb.maxRetries());
      m.put("circuitBreaker", cbm);
      if (c.outlierDetection() != null) {
        OutlierDetectionConfig od = c.outlierDetection();
        Map<String, Object> odm = new LinkedHashMap<>();
        odm.put("consecutive5xx", od.consecutive5xx());
        odm.put("consecutiveGatewayErrors", od.consecutiveGatewayErrors());
        odm.put("baseEjectionTime", Trees.duration(od.baseEjectionTime()));
        odm.put("maxEjectionTime", Trees.duration(od.maxEjectionTime()));
        odm.put("maxEjectionPercent", od.maxEjectionPercent());
        m.put("outlierDetection", odm);
      }
      if (c.healthCheck() != null) {
        HealthCheckConfig hc = c.healthCheck();
        Map<String, Object> hcm = new LinkedHashMap<>();
        hcm.put("type", hc.type().name().toLowerCase(Locale.ROOT));
        hcm.put("path", hc.path());
        hcm.put("interval", Trees.duration(hc.interval()));
        hcm.put("timeout", Trees.duration(hc.timeout()));
        hcm.put("healthyThreshold", hc.healthyThreshold());
        hcm.put("unhealthyThreshold", hc.unhealthyThreshold());
        m.put("healthCheck", hcm);
      }
      if (c.tls() != null) {
        Map<String, Object> tls = new LinkedHashMap<>();
        putIfSet(tls, "certificateFile", c.tls().certificateFile());
        putIfSet(tls, "privateKeyFile", c.tls().privateKeyFile());
        putIfSet(tls, "caFile", c.tls().caFile());
        putIfSet(tls, "serverIdentity", c.tls().serverIdentity());
        m.put("tls", tls);
      }
      clusters.add(m);
    }
    List<Object> routes = new ArrayList<>();
    for (RouteConfig r : config.routes()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("name", r.name());
      m.put("match", matchTree(r.match()));
      List<Object> backends = new ArrayList<>();
      for (BackendRef b : r.backends()) {
        Map<String, Object> bm = new LinkedHashMap<>();
        bm.put("cluster", b.cluster());
        bm.put("weight", b.weight());
        backends.add(bm);
      }
      m.put("backends", backends);
      if (r.timeout() != null) {
        m.put("timeout", Trees.duration(r.timeout()));
      }
      List<Object> plugins = new ArrayList<>();
      for (PluginEntry p : r.plugins()) {
        Map<String, Object> pm = new LinkedHashMap<>();
        pm.put("name", p.name());
        pm.put("mode", p.mode().name().toLowerCase(Locale.ROOT));
        pm.put("config", p.config());
        plugins.add(pm);
      }
      if (!plugins.isEmpty()) {
        m.put("plugins", plugins);
      }
      routes.add(m);
    }
    root.put("listeners", listeners);
    root.put("clusters", clusters);
    root.put("routes", routes);
    return root;
  }

  /**
   * A cluster's tree with more endpoints: each address not listed yet is appended with its weight.
   * The control service adds registered instances this way.
   *
   * @param cluster a cluster's tree (as {@link #toTree} writes it, or as written by an admin)
   * @param endpoints {@code host:port} addresses to their weights, in order
   * @return a new tree; {@code cluster} is unchanged
   */
  public static Map<String, Object> withEndpoints(
      Map<String, ?> cluster, Map<String, Integer> endpoints) {
    requireNonNull(endpoints, "endpoints");
    Map<String, Object> out = new LinkedHashMap<>(cluster);
    List<Object> list = new ArrayList<>();
    List<String> listed = new ArrayList<>();
    if (cluster.get("endpoints") instanceof List<?> given) {
      for (Object e : given) {
        list.add(e);
        if (e instanceof Map<?, ?> m && m.get("address") instanceof String a) {
          listed.add(a);
        }
      }
    }
    endpoints.forEach(
        (address, weight) -> {
          if (!listed.contains(address)) {
            Map<String, Object> em = new LinkedHashMap<>();
            em.put("address", address);
            em.put("weight", weight);
            list.add(em);
          }
        });
    out.put("endpoints", list);
    return out;
  }

  private static void putIfSet(Map<String, Object> m, String key, String value) {
    if (value != null) {
      m.put(key, value);
    }
  }

  private static Map<String, Object> matchTree(MatchConfig match) {
    Map<String, Object> m = new LinkedHashMap<>();
    String key =
        switch (match.pathKind()) {
          case PREFIX -> "pathPrefix";
          case EXACT -> "path";
          case REGEX -> "pathRegex";
        };
    m.put(key, match.path());
    if (!match.methods().isEmpty()) {
      m.put("methods", new ArrayList<Object>(match.methods()));
    }
    if (!match.headers().isEmpty()) {
      m.put("headers", new LinkedHashMap<String, Object>(match.headers()));
    }
    if (!match.authorities().isEmpty()) {
      m.put("authority", new ArrayList<Object>(match.authorities()));
    }
    return m;
  }

  // ---- reading text

  static String readFile(Path file) {
    try {
      long size = Files.size(file);
      if (size > MAX_DOCUMENT_BYTES) {
        throw new ConfigError(
            file.toString(),
            List.of(
                ConfigError.Problem.at(
                    "",
                    "file of "
                        + size
                        + " bytes (expected: at most "
                        + MAX_DOCUMENT_BYTES
                        + " bytes)")));
      }
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new ConfigError(
          file.toString(), List.of(ConfigError.Problem.at("", "cannot read the file (" + e + ")")));
    }
  }

  static Object parseTree(String text, String source) {
    try {
      return YamlTree.parse(text);
    } catch (YamlTree.SyntaxError e) {
      throw new ConfigError(source, List.of(ConfigError.Problem.at("", e.getMessage())));
    }
  }

  // ---- mapping the tree

  private static MeshConfig read(ConfigNode root, Problems p) {
    if (!p.checkObject(Scope.ROOT, root, TOP_FIELDS, Map.of())) {
      return null;
    }
    List<ListenerConfig> listeners = new ArrayList<>();
    List<ConfigNode> listenerNodes = p.read(Scope.ROOT, () -> root.list("listeners"), List.of());
    for (int i = 0; i < listenerNodes.size(); i++) {
      add(listeners, listener(listenerNodes.get(i), i, p));
    }
    List<ClusterConfig> clusters = new ArrayList<>();
    List<ConfigNode> clusterNodes = p.read(Scope.ROOT, () -> root.list("clusters"), List.of());
    for (int i = 0; i < clusterNodes.size(); i++) {
      add(clusters, cluster(clusterNodes.get(i), i, p));
    }
    List<RouteConfig> routes = new ArrayList<>();
    List<ConfigNode> routeNodes = p.read(Scope.ROOT, () -> root.list("routes"), List.of());
    for (int i = 0; i < routeNodes.size(); i++) {
      add(routes, route(routeNodes.get(i), i, p));
    }
    return new MeshConfig(listeners, clusters, routes);
  }

  private static <T> void add(List<T> list, T value) {
    if (value != null) {
      list.add(value);
    }
  }

  /** The entity's name for messages, if it has a usable one. */
  private static String peekName(ConfigNode node) {
    return node.raw() instanceof Map<?, ?> map && map.get("name") instanceof String s ? s : null;
  }

  private static ListenerConfig listener(ConfigNode node, int index, Problems p) {
    Scope s = Scope.listener(index, peekName(node));
    int before = p.size();
    if (!p.checkObject(s, node, LISTENER_FIELDS, Map.of())) {
      return null;
    }
    String name = p.read(s, () -> node.string("name"));
    HostPort address = p.read(s, () -> address(node.get("address")));
    TlsConfig tls = null;
    Optional<ConfigNode> tlsNode = node.find("tls");
    if (tlsNode.isPresent() && p.checkObject(s, tlsNode.get(), TLS_FIELDS, Map.of())) {
      ConfigNode t = tlsNode.get();
      String cert = p.read(s, () -> t.string("certificateFile"));
      String key = p.read(s, () -> t.string("privateKeyFile"));
      String clientCa = p.read(s, () -> t.string("clientCaFile", null));
      TlsMode mode = p.read(s, () -> enumField(t, "mode", TlsMode.class, TlsConfig.DEFAULT_MODE));
      tls = new TlsConfig(cert, key, clientCa, mode);
    }
    List<String> routes = p.read(s, () -> node.strings("routes"), List.of());
    HeadersWithUnderscores underscores =
        p.read(
            s,
            () ->
                enumField(
                    node,
                    "headersWithUnderscores",
                    HeadersWithUnderscores.class,
                    ListenerConfig.DEFAULT_HEADERS_WITH_UNDERSCORES));
    if (p.size() > before) {
      return null;
    }
    return new ListenerConfig(name, address.host(), address.port(), tls, routes, underscores);
  }

  private static ClusterConfig cluster(ConfigNode node, int index, Problems p) {
    Scope s = Scope.cluster(index, peekName(node));
    int before = p.size();
    if (!p.checkObject(s, node, CLUSTER_FIELDS, CLUSTER_PLANNED)) {
      return null;
    }
    String name = p.read(s, () -> node.string("name"));
    LbPolicy lb = p.read(s, () -> enumField(node, "lb", LbPolicy.class, DEFAULT_LB));
    UpstreamProtocol protocol =
        p.read(s, () -> enumField(node, "protocol", UpstreamProtocol.class, DEFAULT_PROTOCOL));
    Duration connectTimeout =
        p.read(s, () -> node.duration("connectTimeout", DEFAULT_CONNECT_TIMEOUT));
    Duration idleTimeout = p.read(s, () -> node.duration("idleTimeout", DEFAULT_IDLE_TIMEOUT));
    Integer maxConnections =
        p.read(
            s,
            () -> node.integer("maxConnectionsPerEndpoint", DEFAULT_MAX_CONNECTIONS_PER_ENDPOINT));
    List<EndpointConfig> endpoints = new ArrayList<>();
    List<ConfigNode> endpointNodes = p.read(s, () -> node.list("endpoints"), List.of());
    for (ConfigNode e : endpointNodes) {
      if (!p.checkObject(s, e, ENDPOINT_FIELDS, Map.of())) {
        continue;
      }
      HostPort address = p.read(s, () -> address(e.get("address")));
      Integer weight = p.read(s, () -> e.integer("weight", DEFAULT_WEIGHT));
      if (address != null && weight != null) {
        endpoints.add(new EndpointConfig(address.host(), address.port(), weight));
      }
    }
    CircuitBreakerConfig breaker = CircuitBreakerConfig.DEFAULTS;
    ConfigNode cbNode = node.find("circuitBreaker").orElse(null);
    if (cbNode != null && p.checkObject(s, cbNode, BREAKER_FIELDS, Map.of())) {
      CircuitBreakerConfig d = CircuitBreakerConfig.DEFAULTS;
      Integer mc = p.read(s, () -> positive(cbNode, "maxConnections", d.maxConnections()));
      Integer mp = p.read(s, () -> positive(cbNode, "maxPendingRequests", d.maxPendingRequests()));
      Integer mr = p.read(s, () -> positive(cbNode, "maxRequests", d.maxRequests()));
      Integer mt = p.read(s, () -> atLeast(cbNode, "maxRetries", d.maxRetries(), 0));
      if (mc != null && mp != null && mr != null && mt != null) {
        breaker = new CircuitBreakerConfig(mc, mp, mr, mt);
      }
    }
    OutlierDetectionConfig outlier = null;
    ConfigNode odNode = node.find("outlierDetection").orElse(null);
    if (odNode != null && p.checkObject(s, odNode, OUTLIER_FIELDS, Map.of())) {
      OutlierDetectionConfig d = OutlierDetectionConfig.DEFAULTS;
      Integer c5 = p.read(s, () -> atLeast(odNode, "consecutive5xx", d.consecutive5xx(), 0));
      Integer cg =
          p.read(
              s,
              () -> atLeast(odNode, "consecutiveGatewayErrors", d.consecutiveGatewayErrors(), 0));
      Duration base =
          p.read(s, () -> positiveDuration(odNode, "baseEjectionTime", d.baseEjectionTime()));
      Duration max =
          p.read(s, () -> positiveDuration(odNode, "maxEjectionTime", d.maxEjectionTime()));
      Integer pct =
          p.read(
              s,
              () -> {
                int v = odNode.integer("maxEjectionPercent", d.maxEjectionPercent());
                if (v < 0 || v > 100) {
                  throw odNode.get("maxEjectionPercent").invalid(v + " (expected: 0..100)");
                }
                return v;
              });
      if (c5 != null && cg != null && base != null && max != null && pct != null) {
        outlier =
            new OutlierDetectionConfig(c5, cg, base, max.compareTo(base) < 0 ? base : max, pct);
      }
    }
    HealthCheckConfig health = null;
    ConfigNode hcNode = node.find("healthCheck").orElse(null);
    if (hcNode != null && p.checkObject(s, hcNode, HEALTH_FIELDS, Map.of())) {
      HealthCheckConfig d = HealthCheckConfig.DEFAULTS;
      HealthCheckConfig.Type type =
          p.read(s, () -> enumField(hcNode, "type", HealthCheckConfig.Type.class, d.type()));
      String path =
          p.read(
              s,
              () -> {
                String v = hcNode.string("path", d.path());
                if (!v.startsWith("/")) {
                  throw hcNode
                      .get("path")
                      .invalid('"' + v + "\" (expected: a path starting with /)");
                }
                return v;
              });
      Duration interval = p.read(s, () -> positiveDuration(hcNode, "interval", d.interval()));
      Duration timeout = p.read(s, () -> positiveDuration(hcNode, "timeout", d.timeout()));
      Integer healthy = p.read(s, () -> positive(hcNode, "healthyThreshold", d.healthyThreshold()));
      Integer unhealthy =
          p.read(s, () -> positive(hcNode, "unhealthyThreshold", d.unhealthyThreshold()));
      if (type != null
          && path != null
          && interval != null
          && timeout != null
          && healthy != null
          && unhealthy != null) {
        health = new HealthCheckConfig(type, path, interval, timeout, healthy, unhealthy);
      }
    }
    UpstreamTlsConfig tls = null;
    ConfigNode tlsNode = node.find("tls").orElse(null);
    if (tlsNode != null && p.checkObject(s, tlsNode, UPSTREAM_TLS_FIELDS, Map.of())) {
      String cert = p.read(s, () -> tlsNode.string("certificateFile", null));
      String key = p.read(s, () -> tlsNode.string("privateKeyFile", null));
      String ca = p.read(s, () -> tlsNode.string("caFile", null));
      String identity = p.read(s, () -> tlsNode.string("serverIdentity", null));
      tls = new UpstreamTlsConfig(cert, key, ca, identity);
    }
    if (p.size() > before) {
      return null;
    }
    return new ClusterConfig(
        name,
        lb,
        protocol,
        endpoints,
        connectTimeout,
        idleTimeout,
        maxConnections,
        breaker,
        outlier,
        health,
        tls);
  }

  private static int positive(ConfigNode node, String field, int fallback) {
    return atLeast(node, field, fallback, 1);
  }

  private static int atLeast(ConfigNode node, String field, int fallback, int min) {
    int v = node.integer(field, fallback);
    if (v < min) {
      throw node.get(field).invalid(v + " (expected: >= " + min + ")");
    }
    return v;
  }

  private static Duration positiveDuration(ConfigNode node, String field, Duration fallback) {
    Duration v = node.duration(field, fallback);
    if (v.isZero()) {
      throw node.get(field).invalid("0 (expected: a duration > 0)");
    }
    return v;
  }

  private static RouteConfig route(ConfigNode node, int index, Problems p) {
    Scope s = Scope.route(index, peekName(node));
    int before = p.size();
    if (!p.checkObject(s, node, ROUTE_FIELDS, Map.of())) {
      return null;
    }
    String name = p.read(s, () -> node.string("name"));
    MatchConfig match = node.find("match").map(m -> match(m, s, p)).orElse(MATCH_ALL);
    List<BackendRef> backends = backends(node, s, p);
    Duration timeout = p.read(s, () -> node.duration("timeout", null));
    List<PluginEntry> plugins = new ArrayList<>();
    List<ConfigNode> pluginNodes = p.read(s, () -> node.list("plugins"), List.of());
    for (int i = 0; i < pluginNodes.size(); i++) {
      add(plugins, plugin(pluginNodes.get(i), s.plugin(i, peekName(pluginNodes.get(i))), p));
    }
    if (p.size() > before) {
      return null;
    }
    return new RouteConfig(name, match, backends, timeout, plugins);
  }

  private static MatchConfig match(ConfigNode node, Scope s, Problems p) {
    if (!p.checkObject(s, node, MATCH_FIELDS, Map.of())) {
      return null;
    }
    PathKind kind = PathKind.PREFIX;
    String path = "/";
    List<String> given = new ArrayList<>();
    for (String key : List.of("pathPrefix", "path", "pathRegex")) {
      if (node.has(key)) {
        given.add(key);
        String value = p.read(s, () -> node.string(key));
        if (value != null) {
          path = value;
          kind =
              switch (key) {
                case "pathPrefix" -> PathKind.PREFIX;
                case "path" -> PathKind.EXACT;
                default -> PathKind.REGEX;
              };
        }
      }
    }
    if (given.size() > 1) {
      p.add(
          s,
          node.path(),
          String.join(" and ", given)
              + " both set (expected: exactly one of pathPrefix, path, pathRegex)");
    }
    List<String> methods = p.read(s, () -> node.strings("methods"), List.of());
    Map<String, String> headers = new LinkedHashMap<>();
    Optional<ConfigNode> headerNode = node.find("headers");
    if (headerNode.isPresent()) {
      Map<String, ConfigNode> fields = p.read(s, () -> headerNode.get().asMap(), Map.of());
      for (Map.Entry<String, ConfigNode> e : fields.entrySet()) {
        ConfigNode value = e.getValue();
        if (value.raw() instanceof String text) {
          headers.put(e.getKey().toLowerCase(Locale.ROOT), text);
        } else {
          p.add(
              s,
              value.path(),
              Problems.describe(value.raw())
                  + " (expected: a string; quote numbers and booleans, e.g. \"2\")");
        }
      }
    }
    List<String> authorities = p.read(s, () -> stringOrList(node, "authority"), List.of());
    return new MatchConfig(kind, path, methods, headers, authorities);
  }

  private static List<BackendRef> backends(ConfigNode node, Scope s, Problems p) {
    boolean list = node.has("backends");
    boolean single = node.has("cluster");
    if (list && single) {
      p.add(
          s,
          node.path().isEmpty() ? "cluster" : node.path() + ".cluster",
          "set together with backends (expected: either backends or cluster)");
      return List.of();
    }
    if (single) {
      String cluster = p.read(s, () -> node.string("cluster"));
      return cluster == null ? List.of() : List.of(new BackendRef(cluster, DEFAULT_WEIGHT));
    }
    if (!list) {
      p.add(
          s,
          node.path() + ".backends",
          "missing (expected: backends: [{cluster: NAME, weight: N}, ...] or cluster: NAME)");
      return List.of();
    }
    List<BackendRef> backends = new ArrayList<>();
    for (ConfigNode b : p.read(s, () -> node.list("backends"), List.<ConfigNode>of())) {
      if (!p.checkObject(s, b, BACKEND_FIELDS, Map.of())) {
        continue;
      }
      String cluster = p.read(s, () -> b.string("cluster"));
      Integer weight = p.read(s, () -> b.integer("weight", DEFAULT_WEIGHT));
      if (cluster != null && weight != null) {
        backends.add(new BackendRef(cluster, weight));
      }
    }
    return backends;
  }

  private static PluginEntry plugin(ConfigNode node, Scope s, Problems p) {
    int before = p.size();
    if (!p.checkObject(s, node, PLUGIN_FIELDS, Map.of())) {
      return null;
    }
    String name = p.read(s, () -> node.string("name"));
    FilterMode mode =
        p.read(s, () -> enumField(node, "mode", FilterMode.class, FilterMode.ENFORCE));
    Object config = Map.of();
    Optional<ConfigNode> configNode = node.find("config");
    if (configNode.isPresent()) {
      if (configNode.get().raw() instanceof Map<?, ?> map) {
        config = Trees.freeze(map);
      } else {
        p.add(
            s,
            configNode.get().path(),
            Problems.describe(configNode.get().raw()) + " (expected: an object)");
      }
    }
    return p.size() > before ? null : new PluginEntry(name, mode, config);
  }

  private static HostPort address(ConfigNode node) {
    HostPort address = HostPort.parse(node.asString());
    if (address == null) {
      throw node.invalid(Problems.describe(node.raw()) + " (expected: " + HostPort.EXPECTED + ")");
    }
    return address;
  }

  private static List<String> stringOrList(ConfigNode node, String field) {
    Optional<ConfigNode> value = node.find(field);
    if (value.isEmpty()) {
      return List.of();
    }
    if (value.get().raw() instanceof String s) {
      return List.of(s);
    }
    if (value.get().raw() instanceof List<?>) {
      return value.get().asList().stream().map(ConfigNode::asString).toList();
    }
    throw value
        .get()
        .invalid(
            Problems.describe(value.get().raw()) + " (expected: a string or a list of strings)");
  }

  /**
   * An enum field written in lower snake case, e.g. {@code least_request}.
   *
   * @throws ConfigException naming the allowed values
   */
  static <E extends Enum<E>> E enumField(ConfigNode node, String field, Class<E> type, E fallback) {
    Optional<ConfigNode> value = node.find(field);
    if (value.isEmpty()) {
      return fallback;
    }
    E[] constants = type.getEnumConstants();
    if (value.get().raw() instanceof String text) {
      for (E constant : constants) {
        if (constant.name().toLowerCase(Locale.ROOT).equals(text)) {
          return constant;
        }
      }
    }
    List<String> names = new ArrayList<>();
    for (E constant : constants) {
      names.add(constant.name().toLowerCase(Locale.ROOT));
    }
    throw value
        .get()
        .invalid(
            Problems.describe(value.get().raw())
                + " (expected: one of "
                + String.join(", ", names)
                + ")");
  }

  private static String resolve(Path folder, String file) {
    return file == null ? null : folder.resolve(file).toString();
  }

  private static MeshConfig resolveTls(MeshConfig config, Path folder) {
    List<ListenerConfig> listeners = new ArrayList<>();
    for (ListenerConfig l : config.listeners()) {
      TlsConfig tls = l.tls();
      if (tls != null) {
        tls =
            new TlsConfig(
                resolve(folder, tls.certificateFile()),
                resolve(folder, tls.privateKeyFile()),
                resolve(folder, tls.clientCaFile()),
                tls.mode());
      }
      listeners.add(l.withTls(tls));
    }
    List<ClusterConfig> clusters = new ArrayList<>();
    for (ClusterConfig c : config.clusters()) {
      UpstreamTlsConfig tls = c.tls();
      if (tls != null) {
        tls =
            new UpstreamTlsConfig(
                resolve(folder, tls.certificateFile()),
                resolve(folder, tls.privateKeyFile()),
                resolve(folder, tls.caFile()),
                tls.serverIdentity());
        c = c.withTls(tls);
      }
      clusters.add(c);
    }
    return new MeshConfig(listeners, clusters, config.routes());
  }
}
