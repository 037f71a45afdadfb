package io.plugmesh.config;

import io.plugmesh.config.ConfigError.Problem;
import io.plugmesh.filters.ConfigException;
import io.plugmesh.filters.ConfigNode;
import io.plugmesh.filters.internal.ValueConfigNode;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/** Collects config problems with their route, plugin and field, and renders them for humans. */
final class Problems {
  private final List<Problem> problems = new ArrayList<>();
  private final List<String> lines = new ArrayList<>();

  /**
   * Where a problem sits.
   *
   * @param label how a human is told, e.g. {@code route 'reviews-read'} or {@code clusters[1]
   *     'reviews-v2'}; empty at the root
   * @param base the field path the label stands for, e.g. {@code routes[0]}
   * @param route the route name, or null
   * @param plugin the plugin name, or null
   */
  record Scope(String label, String base, String route, String plugin) {
    static final Scope ROOT = new Scope("", "", null, null);

    static Scope listener(int index, String name) {
      return named("listeners", index, name);
    }

    static Scope cluster(int index, String name) {
      return named("clusters", index, name);
    }

    private static Scope named(String kind, int index, String name) {
      String base = kind + "[" + index + "]";
      return new Scope(name == null ? base : base + " '" + name + "'", base, null, null);
    }

    static Scope route(int index, String name) {
      String base = "routes[" + index + "]";
      return new Scope(name == null ? base : "route '" + name + "'", base, name, null);
    }

    Scope plugin(int index, String name) {
      String at = base + ".plugins[" + index + "]";
      String text =
          name == null
              ? label + ", plugins[" + index + "]"
              : label + ", plugin '" + name + "' (#" + (index + 1) + ")";
      return new Scope(text, at, route, name);
    }
  }

  void add(Scope scope, String field, String message) {
    problems.add(new Problem(scope.route(), scope.plugin(), field, message));
    String relative = field;
    if (!scope.base().isEmpty()) {
      if (field.equals(scope.base())) {
        relative = "";
      } else if (field.startsWith(scope.base() + ".")) {
        relative = field.substring(scope.base().length() + 1);
      }
    }
    StringBuilder line = new StringBuilder(scope.label());
    if (line.length() > 0) {
      line.append(": ");
    }
    if (!relative.isEmpty()) {
      line.append(relative).append(": ");
    }
    lines.add(line.append(message).toString());
  }

  void add(Scope scope, ConfigException e) {
    add(scope, e.field(), e.problem());
  }

  /** Runs a read; a {@link ConfigException} becomes a problem and the result null. */
  <T> T read(Scope scope, Supplier<T> reader) {
    try {
      return reader.get();
    } catch (ConfigException e) {
      add(scope, e);
      return null;
    }
  }

  /** Runs a read; a {@link ConfigException} becomes a problem and the result the fallback. */
  <T> T read(Scope scope, Supplier<T> reader, T fallback) {
    T value = read(scope, reader);
    return value == null ? fallback : value;
  }

  /**
   * Checks that a node is an object whose fields are all known, recording a problem per unknown
   * field.
   *
   * @param unsupported fields that are planned but not implemented, with the reason shown
   * @return false if the node is not an object at all
   */
  boolean checkObject(
      Scope scope, ConfigNode node, Collection<String> allowed, Map<String, String> unsupported) {
    if (!(node.raw() instanceof Map<?, ?> map)) {
      add(scope, node.path(), describe(node.raw()) + " (expected: an object)");
      return false;
    }
    for (Object key : map.keySet()) {
      String field = String.valueOf(key);
      if (allowed.contains(field)) {
        continue;
      }
      String path = node.path().isEmpty() ? field : node.path() + "." + field;
      String reason = unsupported.get(field);
      if (reason != null) {
        add(scope, path, "not supported yet (" + reason + ")");
        continue;
      }
      StringBuilder message = new StringBuilder("unknown field (expected one of: ");
      message.append(String.join(", ", allowed)).append(')');
      for (String known : allowed) {
        if (known.equalsIgnoreCase(field)) {
          message.append("; did you mean '").append(known).append("'?");
        }
      }
      add(scope, path, message.toString());
    }
    return true;
  }

  int size() {
    return problems.size();
  }

  List<Problem> problems() {
    return problems;
  }

  void throwIfAny(String source) {
    if (!problems.isEmpty()) {
      throw new ConfigError(source, problems, lines);
    }
  }

  /** A value as it reads in an error: the same words plugin config errors use. */
  static String describe(Object value) {
    return ValueConfigNode.describe(value);
  }
}
