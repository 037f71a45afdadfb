package io.plugmesh.plugins.rbac;

import io.plugmesh.filters.ConfigNode;
import io.plugmesh.filters.ProxyRequest;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * The rbac configuration of one route: its rules in written order.
 *
 * @param rules the rules
 */
record RbacConfig(List<Rule> rules) {

  RbacConfig {
    rules = List.copyOf(rules);
  }

  /** Whether any allow rule exists (then unmatched requests are denied). */
  boolean hasAllowRules() {
    return rules.stream().anyMatch(r -> r.effect() == Rule.Effect.ALLOW);
  }

  /**
   * Parses a route's config.
   *
   * @param node the {@code config} object
   * @return the config
   * @throws io.plugmesh.filters.ConfigException naming the field
   */
  static RbacConfig parse(ConfigNode node) {
    List<ConfigNode> entries = node.get("rules").asList();
    if (entries.isEmpty()) {
      throw node.get("rules").invalid("empty (expected: at least one rule)");
    }
    List<Rule> rules = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (int i = 0; i < entries.size(); i++) {
      ConfigNode entry = entries.get(i);
      boolean allow = entry.has("allow");
      if (allow == entry.has("deny")) {
        throw entry.invalid(
            allow
                ? "both allow and deny (expected: one)"
                : "neither allow nor deny (expected: one)");
      }
      Rule.Effect effect = allow ? Rule.Effect.ALLOW : Rule.Effect.DENY;
      String name = entry.string("name", (allow ? "allow-" : "deny-") + i);
      if (!names.add(name) || RbacFilter.DEFAULT_POLICY.equals(name)) {
        throw entry.get("name").invalid("'" + name + "' is taken (expected: a unique rule name)");
      }
      rules.add(new Rule(name, effect, condition(entry.get(allow ? "allow" : "deny"))));
    }
    return new RbacConfig(rules);
  }

  private static Condition condition(ConfigNode node) {
    Boolean authenticated = node.find("authenticated").map(ConfigNode::asBoolean).orElse(null);
    List<ClaimMatcher> claims = new ArrayList<>();
    node.find("claims")
        .ifPresent(
            map ->
                map.asMap(v -> v.asListOrSingle(ConfigNode::asText))
                    .forEach((claim, accepted) -> claims.add(new ClaimMatcher(claim, accepted))));
    List<String> peers = node.list("peers", RbacConfig::peer);
    List<Cidr> blocks = node.list("clientIps", RbacConfig::cidr);
    Set<String> methods = new LinkedHashSet<>();
    node.strings("methods").forEach(m -> methods.add(m.toUpperCase(Locale.ROOT)));
    List<PathMatcher> paths = node.list("paths", RbacConfig::pathMatcher);
    List<HeaderMatcher> headers =
        node.list(
            "headers",
            header ->
                new HeaderMatcher(
                    header.string("name").toLowerCase(Locale.ROOT),
                    header.string("exact", null),
                    header.string("prefix", null),
                    header.find("present").map(ConfigNode::asBoolean).orElse(null)));
    return new Condition(authenticated, claims, peers, blocks, methods, paths, headers);
  }

  private static String peer(ConfigNode node) {
    String peer = node.asString();
    if (peer.indexOf('*') >= 0 && peer.indexOf('*') != peer.length() - 1) {
      throw node.invalid("'" + peer + "' (expected: an identity, or a prefix ending in *)");
    }
    return peer;
  }

  private static Cidr cidr(ConfigNode node) {
    try {
      return Cidr.parse(node.asString());
    } catch (IllegalArgumentException e) {
      throw node.invalid(e.getMessage());
    }
  }

  private static PathMatcher pathMatcher(ConfigNode node) {
    boolean ignoreCase = node.bool("ignoreCase", false);
    String field = node.has("exact") ? "exact" : node.has("prefix") ? "prefix" : "glob";
    ConfigNode valueNode = node.get(field);
    String value = valueNode.asString();
    Optional<String> normal = ProxyRequest.normalizePath(value);
    String checked = field.equals("glob") ? value.replace("*", "x") : value;
    if (value.indexOf('?') >= 0
        || normal.isEmpty()
        || !ProxyRequest.normalizePath(checked).orElse("").equals(checked)) {
      throw valueNode.invalid(
          "'"
              + value
              + "' (expected: a normalized path: no //, no . or .. segments, no query,"
              + " escapes only where needed)");
    }
    return switch (field) {
      case "exact" -> new PathMatcher.Exact(value, ignoreCase);
      case "prefix" -> new PathMatcher.Prefix(value, ignoreCase);
      default -> {
        try {
          yield PathMatcher.Glob.of(value, ignoreCase);
        } catch (IllegalArgumentException e) {
          throw valueNode.invalid(e.getMessage());
        }
      }
    };
  }
}
