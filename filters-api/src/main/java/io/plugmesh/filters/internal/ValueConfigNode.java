package io.plugmesh.filters.internal;

import io.plugmesh.filters.ConfigException;
import io.plugmesh.filters.ConfigNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.StringJoiner;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@link ConfigNode} over plain Java values. Not part of the API. */
public final class ValueConfigNode implements ConfigNode {
  private static final Pattern DURATION =
      Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ns|us|ms|s|m|h|d)");

  private static final long[] UNIT_NANOS = {
    86_400_000_000_000L, 3_600_000_000_000L, 60_000_000_000L, 1_000_000_000L, 1_000_000L, 1_000L
  };
  private static final String[] UNIT_NAMES = {"d", "h", "m", "s", "ms", "us"};

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
    return describe(value);
  }

  /**
   * A value as it reads in an error: a string quoted (cut at 64 characters), {@code an object},
   * {@code a list}, or the number or boolean.
   *
   * @param value a plain value
   * @return the text
   */
  public static String describe(Object value) {
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

  /**
   * The default config spelling of an enum constant: its name in lower case with dashes.
   *
   * @param constant the constant
   * @return e.g. {@code connect-failure} for {@code CONNECT_FAILURE}
   */
  public static String kebabCase(Enum<?> constant) {
    return constant.name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /**
   * The constant of {@code type} whose spelling is the node's text.
   *
   * @param <E> the enum type
   * @param node the node
   * @param type the enum class
   * @param spelling each constant's config spelling
   * @return the constant
   * @throws ConfigException listing the spellings when none matches
   */
  public static <E extends Enum<E>> E enumConstant(
      ConfigNode node, Class<E> type, Function<? super E, String> spelling) {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(spelling, "spelling");
    Object raw = node.raw();
    StringJoiner expected = new StringJoiner(" | ", " (expected: ", ")");
    for (E constant : type.getEnumConstants()) {
      String text = spelling.apply(constant);
      if (text.equals(raw)) {
        return constant;
      }
      expected.add(text);
    }
    throw node.invalid(describe(raw) + expected);
  }

  /**
   * The node's duration, checked against bounds; the error says the bounds in config spelling.
   *
   * @param node the node
   * @param min the lower bound
   * @param minExcluded whether {@code min} itself is refused
   * @param max the upper bound (included), or null for none
   * @return the duration
   * @throws ConfigException if it is not a duration or out of bounds
   */
  public static Duration boundedDuration(
      ConfigNode node, Duration min, boolean minExcluded, Duration max) {
    Objects.requireNonNull(min, "min");
    Duration d = node.asDuration();
    int low = d.compareTo(min);
    if (low > 0 || (low == 0 && !minExcluded)) {
      if (max == null || d.compareTo(max) <= 0) {
        return d;
      }
    }
    String expected;
    if (minExcluded) {
      expected = "more than " + format(min) + (max == null ? "" : ", at most " + format(max));
    } else if (max == null) {
      expected = "at least " + format(min);
    } else if (min.isZero()) {
      expected = "at most " + format(max);
    } else {
      expected = format(min) + ".." + format(max);
    }
    throw node.invalid(describe(node.raw()) + " (expected: " + expected + ")");
  }

  /**
   * The node's number, checked against bounds (both included).
   *
   * @param node the node
   * @param min the lower bound
   * @param max the upper bound
   * @return the number
   * @throws ConfigException if it is not a number or out of bounds
   */
  public static double boundedDouble(ConfigNode node, double min, double max) {
    double value = node.asDouble();
    if (value >= min && value <= max) {
      return value;
    }
    throw node.invalid(
        describe(node.raw()) + " (expected: " + format(min) + ".." + format(max) + ")");
  }

  /**
   * A duration in config spelling with the largest exact unit: {@code 1h}, {@code 250ms}, {@code
   * 0}.
   *
   * @param d the duration
   * @return the text
   */
  public static String format(Duration d) {
    if (d.isZero()) {
      return "0";
    }
    long nanos;
    try {
      nanos = d.toNanos();
    } catch (ArithmeticException e) {
      return d.toString();
    }
    for (int i = 0; i < UNIT_NANOS.length; i++) {
      if (nanos % UNIT_NANOS[i] == 0) {
        return nanos / UNIT_NANOS[i] + UNIT_NAMES[i];
      }
    }
    return nanos + "ns";
  }

  private static String format(double value) {
    return value == Math.rint(value) && Math.abs(value) < 1e15
        ? Long.toString((long) value)
        : Double.toString(value);
  }

  @Override
  public String toString() {
    return (path.isEmpty() ? "config" : path) + "=" + value;
  }
}
