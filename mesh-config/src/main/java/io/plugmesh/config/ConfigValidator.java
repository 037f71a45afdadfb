package io.plugmesh.config;

import static java.util.Objects.requireNonNull;

import io.plugmesh.config.MatchConfig.PathKind;
import io.plugmesh.config.Problems.Scope;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Checks a {@link MeshConfig} as a whole: unique names, references between listeners, routes and
 * clusters, weights, match syntax, ports and timeouts. The loader calls it; a config that arrives
 * from the control stream is checked with it directly. Plugin configs are checked by the plugin
 * host, not here. Field names in problems are the YAML keys ({@code address}, {@code authority}).
 */
public final class ConfigValidator {
  private static final Pattern IPV6_CHARS = Pattern.compile("[0-9A-Fa-f:.%]+");

  /** Names of listeners, clusters and routes: used in metrics labels and logs. */
  public static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

  /** The highest TCP port. */
  public static final int MAX_PORT = 65535;

  private static final Pattern SPIFFE_ID =
      Pattern.compile("spiffe://[a-z0-9._-]+/ns/[A-Za-z0-9._-]+/sa/[A-Za-z0-9._-]+");
  private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+\\-.^_`|~0-9A-Za-z]+");
  private static final Pattern HOST_NAME =
      Pattern.compile(
          "[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?(\\.[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?)*\\.?");
  private static final String NAME_EXPECTED =
      "expected: 1 to 128 letters, digits, '.', '_' or '-', starting with a letter or digit";

  private ConfigValidator() {}

  /**
   * Checks a config.
   *
   * @param config the config
   * @throws ConfigError naming every problem found
   */
  public static void validate(MeshConfig config) {
    validate(config, null);
  }

  /**
   * Checks a config from a named source.
   *
   * @param config the config
   * @param source where it came from, for messages, or null
   * @throws ConfigError naming every problem found
   */
  public static void validate(MeshConfig config, String source) {
    requireNonNull(config, "config");
    Problems p = new Problems();
    Set<String> clusterNames = clusters(config.clusters(), p);
    Set<String> routeNames = routes(config.routes(), clusterNames, p);
    listeners(config.listeners(), routeNames, p);
    p.throwIfAny(source);
  }

  /**
   * Checks each listener, cluster and route on its own, as resources kept for different proxies:
   * references between them (a route's backend clusters, a listener's routes) and addresses shared
   * by listeners are not checked.
   *
   * @param config the resources
   * @param source where they came from, for messages, or null
   * @throws ConfigError naming every problem found
   */
  public static void validateEach(MeshConfig config, String source) {
    requireNonNull(config, "config");
    Problems p = new Problems();
    clusters(config.clusters(), p);
    routes(config.routes(), null, p);
    listeners(config.listeners(), null, p);
    p.throwIfAny(source);
  }

  /** Checks listeners; with {@code routes} null, neither route references nor shared addresses. */
  private static void listeners(List<ListenerConfig> listeners, Set<String> routes, Problems p) {
    Set<String> names = new HashSet<>();
    Map<String, String> addresses = new HashMap<>();
    for (int i = 0; i < listeners.size(); i++) {
      ListenerConfig l = listeners.get(i);
      String at = "listeners[" + i + "]";
      if (l == null) {
        p.add(Scope.ROOT, at, "null (expected: a listener)");
        continue;
      }
      Scope s = Scope.listener(i, l.name());
      name(l.name(), names, s, at, p);
      String address = HostPort.format(l.host(), l.port());
      if (!validHost(l.host())) {
        p.add(s, at + ".address", quote(address) + " (expected: an IP address or host name)");
      }
      if (l.port() < 0 || l.port() > MAX_PORT) {
        p.add(s, at + ".address", quote(address) + " (expected: a port in 0.." + MAX_PORT + ")");
      } else if (routes != null && l.port() != 0 && l.host() != null) {
        String other = addresses.putIfAbsent(address.toLowerCase(java.util.Locale.ROOT), l.name());
        if (other != null) {
          p.add(
              s,
              at + ".address",
              quote(address) + " also used by listener '" + other + "' (expected: distinct)");
        }
      }
      if (l.tls() != null) {
        nonEmpty(l.tls().certificateFile(), s, at + ".tls.certificateFile", "a PEM file path", p);
        nonEmpty(l.tls().privateKeyFile(), s, at + ".tls.privateKeyFile", "a PEM file path", p);
        if (l.tls().clientCaFile() != null) {
          nonEmpty(l.tls().clientCaFile(), s, at + ".tls.clientCaFile", "a PEM file path", p);
        }
      }
      Set<String> seen = new HashSet<>();
      for (int j = 0; j < l.routes().size(); j++) {
        String route = l.routes().get(j);
        String field = at + ".routes[" + j + "]";
        if (routes != null && !routes.contains(route)) {
          p.add(s, field, quote(route) + " (expected: the name of a route; " + known(routes) + ")");
        } else if (!seen.add(route)) {
          p.add(s, field, quote(route) + " listed twice (expected: each route once)");
        }
      }
    }
  }

  private static Set<String> clusters(List<ClusterConfig> clusters, Problems p) {
    Set<String> names = new HashSet<>();
    for (int i = 0; i < clusters.size(); i++) {
      ClusterConfig c = clusters.get(i);
      String at = "clusters[" + i + "]";
      if (c == null) {
        p.add(Scope.ROOT, at, "null (expected: a cluster)");
        continue;
      }
      Scope s = Scope.cluster(i, c.name());
      name(c.name(), names, s, at, p);
      if (c.lb() == null) {
        p.add(s, at + ".lb", "null (expected: one of round_robin, random, weighted_random, ...)");
      }
      if (c.protocol() == null) {
        p.add(s, at + ".protocol", "null (expected: http1 or http2)");
      }
      positive(c.connectTimeout(), s, at + ".connectTimeout", p);
      positive(c.idleTimeout(), s, at + ".idleTimeout", p);
      if (c.maxConnectionsPerEndpoint() < 1) {
        p.add(
            s,
            at + ".maxConnectionsPerEndpoint",
            c.maxConnectionsPerEndpoint() + " (expected: >= 1)");
      }
      if (c.tls() != null) {
        upstreamTls(c.tls(), s, at + ".tls", p);
      }
      Set<String> addresses = new HashSet<>();
      for (int j = 0; j < c.endpoints().size(); j++) {
        EndpointConfig e = c.endpoints().get(j);
        String field = at + ".endpoints[" + j + "]";
        if (e == null) {
          p.add(s, field, "null (expected: an endpoint)");
          continue;
        }
        String address = e.address();
        if (!validHost(e.host())) {
          p.add(s, field + ".address", quote(address) + " (expected: an IP address or host name)");
        } else if (e.port() < 1 || e.port() > MAX_PORT) {
          p.add(
              s, field + ".address", quote(address) + " (expected: a port in 1.." + MAX_PORT + ")");
        } else if (!addresses.add(address.toLowerCase(java.util.Locale.ROOT))) {
          p.add(s, field + ".address", quote(address) + " listed twice (expected: each once)");
        }
        if (e.weight() < 1) {
          p.add(s, field + ".weight", e.weight() + " (expected: >= 1)");
        }
      }
    }
    return names;
  }

  /** Checks routes; with {@code clusters} null, not their backend references. */
  private static Set<String> routes(List<RouteConfig> routes, Set<String> clusters, Problems p) {
    Set<String> names = new HashSet<>();
    for (int i = 0; i < routes.size(); i++) {
      RouteConfig r = routes.get(i);
      String at = "routes[" + i + "]";
      if (r == null) {
        p.add(Scope.ROOT, at, "null (expected: a route)");
        continue;
      }
      Scope s = Scope.route(i, r.name());
      name(r.name(), names, s, at, p);
      if (r.match() == null) {
        p.add(s, at + ".match", "null (expected: a match; use pathPrefix: / for every request)");
      } else {
        match(r.match(), s, at + ".match", p);
      }
      if (r.backends().isEmpty()) {
        p.add(s, at + ".backends", "empty (expected: at least one backend cluster)");
      }
      long total = 0;
      for (int j = 0; j < r.backends().size(); j++) {
        BackendRef b = r.backends().get(j);
        String field = at + ".backends[" + j + "]";
        if (b == null) {
          p.add(s, field, "null (expected: a backend)");
          continue;
        }
        if (clusters != null && !clusters.contains(b.cluster())) {
          p.add(
              s,
              field + ".cluster",
              quote(b.cluster()) + " (expected: the name of a cluster; " + known(clusters) + ")");
        }
        if (b.weight() < 0) {
          p.add(s, field + ".weight", b.weight() + " (expected: >= 0)");
        } else {
          total += b.weight();
        }
      }
      if (!r.backends().isEmpty() && total == 0) {
        p.add(s, at + ".backends", "weights sum to 0 (expected: at least one weight > 0)");
      }
      if (r.timeout() != null) {
        positive(r.timeout(), s, at + ".timeout", p);
      }
      for (int j = 0; j < r.plugins().size(); j++) {
        PluginEntry entry = r.plugins().get(j);
        String field = at + ".plugins[" + j + "]";
        if (entry == null) {
          p.add(s, field, "null (expected: a plugin entry)");
          continue;
        }
        Scope ps = s.plugin(j, entry.name());
        nonEmpty(entry.name(), ps, field + ".name", "a plugin name", p);
        if (entry.mode() == null) {
          p.add(ps, field + ".mode", "null (expected: one of enforce, shadow, off)");
        }
        if (entry.config() == null) {
          p.add(ps, field + ".config", "null (expected: an object, {} when empty)");
        }
      }
    }
    return names;
  }

  private static void match(MatchConfig m, Scope s, String at, Problems p) {
    if (m.pathKind() == null) {
      p.add(s, at, "no path kind (expected: one of pathPrefix, path, pathRegex)");
    } else {
      String key =
          switch (m.pathKind()) {
            case PREFIX -> "pathPrefix";
            case EXACT -> "path";
            case REGEX -> "pathRegex";
          };
      String field = at + "." + key;
      if (m.path() == null) {
        p.add(s, field, "null (expected: a path)");
      } else if (m.pathKind() == PathKind.REGEX) {
        try {
          Pattern.compile(m.path());
        } catch (PatternSyntaxException e) {
          p.add(
              s,
              field,
              quote(m.path())
                  + " does not compile: "
                  + e.getDescription()
                  + " near index "
                  + e.getIndex()
                  + " (expected: a Java regular expression)");
        }
      } else {
        String problem = normalizedPathProblem(m.path());
        if (problem != null) {
          p.add(s, field, quote(m.path()) + " " + problem);
        }
      }
    }
    Set<String> methods = new HashSet<>();
    for (int j = 0; j < m.methods().size(); j++) {
      String method = m.methods().get(j);
      String field = at + ".methods[" + j + "]";
      if (method == null || !TOKEN.matcher(method).matches()) {
        p.add(s, field, quote(method) + " (expected: an HTTP method token such as GET)");
      } else if (!method.equals(method.toUpperCase(java.util.Locale.ROOT))) {
        p.add(
            s,
            field,
            quote(method)
                + " (expected: upper case, methods are case-sensitive: "
                + method.toUpperCase(java.util.Locale.ROOT)
                + ")");
      } else if (!methods.add(method)) {
        p.add(s, field, quote(method) + " listed twice (expected: each method once)");
      }
    }
    for (Map.Entry<String, String> h : m.headers().entrySet()) {
      String name = h.getKey();
      String field = at + ".headers." + name;
      if (!TOKEN.matcher(name).matches()) {
        p.add(s, field, "header name " + quote(name) + " (expected: a header name token)");
      } else if (!name.equals(name.toLowerCase(java.util.Locale.ROOT))) {
        p.add(s, field, "header name " + quote(name) + " (expected: lower case)");
      }
      String value = h.getValue();
      for (int k = 0; k < value.length(); k++) {
        char c = value.charAt(k);
        if ((c < 0x20 && c != '\t') || c == 0x7f) {
          p.add(
              s,
              field,
              "value has control character 0x"
                  + Integer.toHexString(c)
                  + " (expected: visible characters, spaces and tabs)");
          break;
        }
      }
    }
    for (int j = 0; j < m.authorities().size(); j++) {
      String authority = m.authorities().get(j);
      String field = at + ".authority[" + j + "]";
      String host = authority;
      if (host != null && host.startsWith("*.")) {
        host = host.substring(2);
      }
      if (host != null && host.startsWith("[") && host.endsWith("]")) {
        if (!isIpV6Literal(host.substring(1, host.length() - 1))) {
          p.add(s, field, quote(authority) + " (expected: a host name, IP address or *.suffix)");
        }
      } else if (host == null || host.indexOf(':') >= 0 && !isIpV6Literal(host)) {
        p.add(
            s,
            field,
            quote(authority)
                + " (expected: a host name, IP address or *.suffix, without port; ports are"
                + " ignored when matching)");
      } else if (host.indexOf(':') < 0 && !HOST_NAME.matcher(host).matches()) {
        p.add(s, field, quote(authority) + " (expected: a host name, IP address or *.suffix)");
      }
    }
  }

  /** Why a prefix or exact path could never match a normalized request path, or null if it can. */
  static String normalizedPathProblem(String path) {
    if (!path.startsWith("/")) {
      return "(expected: a path starting with /)";
    }
    for (int i = 0; i < path.length(); i++) {
      char c = path.charAt(i);
      if (c <= 0x20 || c >= 0x7f || c == '\\' || c == '?' || c == '#') {
        return "(expected: visible ASCII without '\\', '?' or '#'; percent-encode the rest)";
      }
    }
    for (String segment : path.substring(1).split("/", -1)) {
      if (segment.equals(".") || segment.equals("..")) {
        return "(expected: a normalized path without . or .. segments)";
      }
    }
    if (path.contains("//")) {
      return "(expected: a normalized path without //, request paths have duplicate slashes merged)";
    }
    return null;
  }

  private static boolean validHost(String host) {
    if (host == null || host.isEmpty()) {
      return false;
    }
    if (host.indexOf(':') >= 0) {
      return isIpV6Literal(host);
    }
    return HOST_NAME.matcher(host).matches();
  }

  private static void name(String name, Set<String> seen, Scope s, String at, Problems p) {
    String field = at + ".name";
    if (name == null) {
      p.add(s, field, "missing (" + NAME_EXPECTED + ")");
    } else if (!NAME.matcher(name).matches()) {
      p.add(s, field, quote(name) + " (" + NAME_EXPECTED + ")");
    } else if (!seen.add(name)) {
      p.add(s, field, quote(name) + " used twice (expected: a unique name)");
    }
  }

  private static void upstreamTls(UpstreamTlsConfig tls, Scope s, String at, Problems p) {
    if ((tls.certificateFile() == null) != (tls.privateKeyFile() == null)) {
      p.add(
          s,
          at + (tls.certificateFile() == null ? ".certificateFile" : ".privateKeyFile"),
          "missing (expected: certificateFile and privateKeyFile together, or neither)");
    }
    for (String[] file :
        new String[][] {
          {"certificateFile", tls.certificateFile()},
          {"privateKeyFile", tls.privateKeyFile()},
          {"caFile", tls.caFile()}
        }) {
      if (file[1] != null) {
        nonEmpty(file[1], s, at + "." + file[0], "a PEM file path", p);
      }
    }
    String id = tls.serverIdentity();
    if (id != null && !SPIFFE_ID.matcher(id).matches()) {
      p.add(
          s,
          at + ".serverIdentity",
          quote(id) + " (expected: spiffe://<trust-domain>/ns/<namespace>/sa/<service-account>)");
    }
  }

  private static void positive(Duration d, Scope s, String field, Problems p) {
    if (d == null) {
      p.add(s, field, "null (expected: a duration > 0 such as 2s)");
    } else if (d.isNegative() || d.isZero()) {
      p.add(s, field, (d.isNegative() ? "-" : "") + Trees.duration(d.abs()) + " (expected: > 0)");
    }
  }

  private static void nonEmpty(String value, Scope s, String field, String what, Problems p) {
    if (value == null || value.isBlank()) {
      p.add(s, field, quote(value) + " (expected: " + what + ")");
    }
  }

  private static String known(Set<String> names) {
    if (names.isEmpty()) {
      return "none defined";
    }
    List<String> sorted = names.stream().sorted().limit(10).toList();
    return "known: " + String.join(", ", sorted) + (names.size() > 10 ? ", ..." : "");
  }

  private static String quote(String value) {
    return Problems.describe(value);
  }

  /** True for an IPv6 address literal (without brackets); never looks a name up. */
  static boolean isIpV6Literal(String text) {
    if (text.isEmpty() || text.indexOf(':') < 0 || !IPV6_CHARS.matcher(text).matches()) {
      return false;
    }
    try {
      // A literal with ':' is parsed, never resolved; anything else is refused before this.
      return java.net.InetAddress.getByName("[" + text + "]") instanceof java.net.Inet6Address;
    } catch (java.net.UnknownHostException e) {
      return false;
    }
  }
}
