package io.plugmesh.config.route;

import static java.util.Objects.requireNonNull;

import io.plugmesh.config.BackendRef;
import io.plugmesh.config.MatchConfig;
import io.plugmesh.config.RouteConfig;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * A route ready for matching: its path matcher precompiled, methods, headers and authorities held
 * in the form the matcher compares, and its backends prepared for a weighted pick. Immutable and
 * thread-safe.
 */
public final class CompiledRoute {
  private final RouteConfig config;
  private final int index;
  private final MatchConfig.PathKind pathKind;
  private final String path;
  private final Pattern regex;
  private final String[] methods;
  private final String[] headerNames;
  private final String[] headerValues;
  private final String[] exactHosts;
  private final String[] hostSuffixes;
  private final BackendRef[] backends;
  private final long[] cumulativeWeights;

  CompiledRoute(RouteConfig config, int index) {
    this.config = requireNonNull(config, "config");
    this.index = index;
    MatchConfig match = requireNonNull(config.match(), "match of route " + config.name());
    this.pathKind = requireNonNull(match.pathKind(), "pathKind of route " + config.name());
    this.path = requireNonNull(match.path(), "path of route " + config.name());
    this.regex = pathKind == MatchConfig.PathKind.REGEX ? Pattern.compile(path) : null;
    this.methods = match.methods().toArray(String[]::new);
    this.headerNames = match.headers().keySet().toArray(String[]::new);
    this.headerValues = new String[headerNames.length];
    for (int i = 0; i < headerNames.length; i++) {
      headerValues[i] = match.headers().get(headerNames[i]);
      headerNames[i] = headerNames[i].toLowerCase(Locale.ROOT);
    }
    List<String> exact = new java.util.ArrayList<>();
    List<String> suffixes = new java.util.ArrayList<>();
    for (String authority : match.authorities()) {
      String host = stripTrailingDot(authority.toLowerCase(Locale.ROOT));
      if (host.indexOf(':') >= 0 && !host.startsWith("[")) {
        host = "[" + host + "]"; // a bare IPv6 address compares as the bracketed authority
      }
      if (host.startsWith("*.")) {
        suffixes.add(host.substring(1)); // keeps the dot: ".example.com"
      } else {
        exact.add(host);
      }
    }
    this.exactHosts = exact.toArray(String[]::new);
    this.hostSuffixes = suffixes.toArray(String[]::new);

    List<BackendRef> refs = config.backends().stream().filter(b -> b.weight() > 0).toList();
    if (refs.isEmpty()) {
      throw new IllegalArgumentException(
          "route '" + config.name() + "': backends: no backend with weight > 0");
    }
    this.backends = refs.toArray(BackendRef[]::new);
    this.cumulativeWeights = new long[backends.length];
    long total = 0;
    for (int i = 0; i < backends.length; i++) {
      total += backends[i].weight();
      cumulativeWeights[i] = total;
    }
  }

  /**
   * The route as configured.
   *
   * @return the config
   */
  public RouteConfig config() {
    return config;
  }

  /**
   * The route's name, for metrics and logs.
   *
   * @return the name
   */
  public String name() {
    return config.name();
  }

  /**
   * The route's position in its table, in match order, from 0.
   *
   * @return the index
   */
  public int index() {
    return index;
  }

  /**
   * Picks a backend at random in proportion to the weights; a backend with weight 0 is never
   * picked.
   *
   * @return the backend
   */
  public BackendRef pickBackend() {
    if (backends.length == 1) {
      return backends[0];
    }
    long r = ThreadLocalRandom.current().nextLong(cumulativeWeights[cumulativeWeights.length - 1]);
    int low = 0;
    int high = cumulativeWeights.length - 1;
    while (low < high) {
      int mid = (low + high) >>> 1;
      if (cumulativeWeights[mid] > r) {
        high = mid;
      } else {
        low = mid + 1;
      }
    }
    return backends[low];
  }

  boolean matches(
      String method, String normalizedPath, String authority, Function<String, String> headers) {
    return matchesMethod(method)
        && matchesPath(normalizedPath)
        && matchesAuthority(authority)
        && matchesHeaders(headers);
  }

  private boolean matchesMethod(String method) {
    if (methods.length == 0) {
      return true;
    }
    for (String m : methods) {
      if (m.equals(method)) {
        return true;
      }
    }
    return false;
  }

  private boolean matchesPath(String requestPath) {
    return switch (pathKind) {
      case EXACT -> path.equals(requestPath);
      case REGEX -> regex.matcher(requestPath).matches();
      case PREFIX -> matchesPrefix(requestPath);
    };
  }

  /** Segment-aware: {@code /a} matches {@code /a} and {@code /a/b}, not {@code /ab}. */
  private boolean matchesPrefix(String requestPath) {
    if (!requestPath.startsWith(path)) {
      return false;
    }
    return requestPath.length() == path.length()
        || path.endsWith("/")
        || requestPath.charAt(path.length()) == '/';
  }

  private boolean matchesAuthority(String authority) {
    if (exactHosts.length == 0 && hostSuffixes.length == 0) {
      return true;
    }
    if (authority == null) {
      return false;
    }
    int end = hostEnd(authority);
    int start = 0;
    if (authority.startsWith("[")) {
      // [v6]:port compares with the brackets, as configured
      end = authority.indexOf(']') + 1;
      if (end == 0) {
        return false;
      }
    }
    if (end > start && authority.charAt(end - 1) == '.') {
      end--;
    }
    int length = end - start;
    for (String host : exactHosts) {
      if (host.length() == length && authority.regionMatches(true, start, host, 0, length)) {
        return true;
      }
    }
    for (String suffix : hostSuffixes) {
      int at = end - suffix.length();
      if (at > start && authority.regionMatches(true, at, suffix, 0, suffix.length())) {
        return true;
      }
    }
    return false;
  }

  /** Where the host ends: before {@code :port}, or the whole text. */
  private static int hostEnd(String authority) {
    int colon = authority.lastIndexOf(':');
    if (colon < 0 || authority.indexOf(':') != colon) {
      return authority.length(); // no port, or a bare IPv6 address
    }
    return colon;
  }

  private boolean matchesHeaders(Function<String, String> headers) {
    for (int i = 0; i < headerNames.length; i++) {
      if (!headerValues[i].equals(headers.apply(headerNames[i]))) {
        return false;
      }
    }
    return true;
  }

  private static String stripTrailingDot(String host) {
    return host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
  }

  @Override
  public String toString() {
    return "route '" + name() + "' #" + index + " " + pathKind + " " + path;
  }
}
