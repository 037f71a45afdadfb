package io.plugmesh.filters.internal;

import io.plugmesh.filters.ConfigException;
import io.plugmesh.filters.ConfigNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@link ConfigNode} over plain Java values. Not part of the API. */
public final class ValueConfigNode implements ConfigNode {
  private static final Pattern DURATION =
      Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ns|us|ms|s|m|h|d)");

  private final String path;
  private final Object value;

  private ValueConfigNode(String path, Object value) {
    this.path = path;
    this.value = value;
  }

  /**
   * The root node of a value tree.
   *
   * @param value the root value
   * @return the node
   */
  public static ValueConfigNode root(Object value) {
    return new ValueConfigNode("", value);
  }

  @Override
  public String path() {
    return path;
  }

  private Map<?, ?> object() {
    if (value instanceof Map<?, ?> map) {
      return map;
    }
    throw invalid(describe() + " (expected: an object)");
  }

  private String child(String field) {
    return path.isEmpty() ? field : path + "." + field;
  }

  @Override
  public boolean has(String field) {
    return value instanceof Map<?, ?> map && map.get(field) != null;
  }

  @Override
  public ConfigNode get(String field) {
    Object child = object().get(field);
    if (child == null) {
      throw new ConfigException(child(field), "missing (expected: a value)");
    }
    return new ValueConfigNode(child(field), child);
  }

  @Override
  public Optional<ConfigNode> find(String field) {
    Object child = object().get(field);
    return child == null ? Optional.empty() : Optional.of(new ValueConfigNode(child(field), child));
  }

  @Override
  public String asString() {
    if (value instanceof String s) {
      return s;
    }
    throw invalid(describe() + " (expected: a string)");
  }

  @Override
  public long asLong() {
    if (value instanceof Integer || value instanceof Long || value instanceof Short) {
      return ((Number) value).longValue();
    }
    if (value instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())) {
      double d = n.doubleValue();
      if (Math.abs(d) < 9.0e15) {
        return (long) d;
      }
    }
    throw invalid(describe() + " (expected: an integer)");
  }

  @Override
  public double asDouble() {
    if (value instanceof Number n) {
      return n.doubleValue();
    }
    throw invalid(describe() + " (expected: a number)");
  }

  @Override
  public boolean asBoolean() {
    if (value instanceof Boolean b) {
      return b;
    }
    throw invalid(describe() + " (expected: true or false)");
  }

  @Override
  public Duration asDuration() {
    if (value instanceof String s) {
      Matcher m = DURATION.matcher(s.trim());
      if (m.matches()) {
        double amount = Double.parseDouble(m.group(1));
        double nanosPerUnit =
            switch (m.group(2)) {
              case "ns" -> 1;
              case "us" -> 1e3;
              case "ms" -> 1e6;
              case "s" -> 1e9;
              case "m" -> 60e9;
              case "h" -> 3600e9;
              default -> 86400e9;
            };
        double nanos = amount * nanosPerUnit;
        if (nanos < Long.MAX_VALUE) {
          return Duration.ofNanos((long) nanos);
        }
      }
    }
    throw invalid(describe() + " (expected: a duration such as 250ms, 2s, 5m, 1h)");
  }

  @Override
  public List<ConfigNode> asList() {
    if (value instanceof List<?> list) {
      List<ConfigNode> nodes = new ArrayList<>(list.size());
      for (int i = 0; i < list.size(); i++) {
        nodes.add(new ValueConfigNode(path + "[" + i + "]", list.get(i)));
      }
      return Collections.unmodifiableList(nodes);
    }
    throw invalid(describe() + " (expected: a list)");
  }

  @Override
  public Map<String, ConfigNode> asMap() {
    Map<String, ConfigNode> nodes = new LinkedHashMap<>();
    for (Map.Entry<?, ?> e : object().entrySet()) {
      String key = String.valueOf(e.getKey());
      nodes.put(key, new ValueConfigNode(child(key), e.getValue()));
    }
    return Collections.unmodifiableMap(nodes);
  }

  @Override
  public Object raw() {
    return value;
  }

  @Override
  public ConfigException invalid(String problem) {
    return new ConfigException(path, problem);
  }

  private String describe() {
    if (value == null) {
      return "null";
    }
    if (value instanceof String s) {
      return '"' + (s.length() > 64 ? s.substring(0, 64) + "…" : s) + '"';
    }
    if (value instanceof Map<?, ?>) {
      return "an object";
    }
    if (value instanceof List<?>) {
      return "a list";
    }
    return String.valueOf(value);
  }

  @Override
  public String toString() {
    return (path.isEmpty() ? "config" : path) + "=" + value;
  }
}
