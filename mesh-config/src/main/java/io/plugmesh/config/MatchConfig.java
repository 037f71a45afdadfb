package io.plugmesh.config;

import java.util.List;
import java.util.Map;

/**
 * Request criteria; all given criteria must hold.
 *
 * @param pathKind how {@code path} is compared
 * @param path the path prefix, exact path or regular expression (on the path without query)
 * @param methods allowed methods in upper case; empty means any
 * @param headers header name (lower case) to required exact value
 * @param authorities allowed authorities (host, optionally {@code *.suffix}); empty means any
 */
public record MatchConfig(
    PathKind pathKind,
    String path,
    List<String> methods,
    Map<String, String> headers,
    List<String> authorities) {
  public MatchConfig {
    methods = List.copyOf(methods);
    headers = Map.copyOf(headers);
    authorities = List.copyOf(authorities);
  }

  /** How a path is compared. */
  public enum PathKind {
    /** Starts with, on segment boundaries ({@code /a} matches {@code /a} and {@code /a/b}). */
    PREFIX,
    /** Equals. */
    EXACT,
    /** Java regular expression matching the whole path. */
    REGEX
  }
}
