package io.plugmesh.filters;

import static java.util.Objects.requireNonNull;

import io.plugmesh.filters.internal.ValueConfigNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * A read-only view of a plugin's configuration tree (what the admin wrote under {@code config:}),
 * with typed accessors whose errors name the field and what was expected.
 *
 * <pre>{@code
 * int tokens = config.integer("tokens");                         // required
 * Duration per = config.duration("per", Duration.ofSeconds(1));  // optional with default
 * int burst = config.integer("burst", 10, 1, MAX_BURST);         // optional, with bounds
 * Mode mode = config.enumValue("mode", Mode.LOCAL);              // written local or global
 * List<Rule> rules = config.list("rules", Rule::parse);          // errors say rules[2].allow
 * Duration timeout =                                             // more than 0, at most the max
 *     config.find("timeout").map(t -> t.asPositiveDuration(MAX_TIMEOUT)).orElse(DEFAULT_TIMEOUT);
 * }</pre>
 *
 * <p>Every error is a {@link ConfigException} naming the node's path and saying what was expected,
 * with the value as written: {@code retryOn[1]: "sometimes" (expected: 5xx | reset |
 * connect-failure)}. Checks of your own use {@link #invalid(String)} in the same form.
 *
 * <p>Durations are written as a number and a unit: {@code 250ms}, {@code 2s}, {@code 5m}, {@code
 * 1h}, {@code 1d}. Enum constants are written in lower case with dashes between words: {@code
 * CONNECT_FAILURE} is {@code connect-failure}, unless the plugin gives its own spelling.
 */
public interface ConfigNode {

  /**
   * Wraps a tree of plain values: {@code Map<String, ?>}, {@code List<?>}, {@code String}, {@code
   * Number}, {@code Boolean} or {@code null}, as produced by YAML and JSON parsers.
   *
   * @param value the root value
   * @return the root node (path empty)
   */
  static ConfigNode of(Object value) {
    return ValueConfigNode.root(value);
  }

  /**
   * Where this node sits, e.g. {@code rules[0].allow}; empty for the root.
   *
   * @return the path
   */
  String path();

  /**
   * Whether this node is an object with the given field (a null value counts as absent).
   *
   * @param field the field name
   * @return true if present
   */
  boolean has(String field);

  /**
   * A required field.
   *
   * @param field the field name
   * @return the child node
   * @throws ConfigException if this is not an object or the field is absent
   */
  ConfigNode get(String field);

  /**
   * An optional field.
   *
   * @param field the field name
   * @return the child node, or empty when absent or null
   */
  Optional<ConfigNode> find(String field);

  /**
   * This node as text.
   *
   * @return the text
   * @throws ConfigException if it is not a string
   */
  String asString();

  /**
   * This node as a whole number.
   *
   * @return the number
   * @throws ConfigException if it is not an integer
   */
  long asLong();

  /**
   * This node as a number.
   *
   * @return the number
   * @throws ConfigException if it is not a number
   */
  double asDouble();

  /**
   * This node as a boolean.
   *
   * @return the boolean
   * @throws ConfigException if it is not a boolean
   */
  boolean asBoolean();

  /**
   * This node as a duration such as {@code 500ms} or {@code 2s}.
   *
   * @return the duration, never negative
   * @throws ConfigException if it is not a duration
   */
  Duration asDuration();

  /**
   * This node's elements.
   *
   * @return the elements, each with its indexed path
   * @throws ConfigException if it is not a list
   */
  List<ConfigNode> asList();

  /**
   * This node's fields in written order.
   *
   * @return the fields
   * @throws ConfigException if it is not an object
   */
  Map<String, ConfigNode> asMap();

  /**
   * The plain value under this node (maps, lists, strings, numbers, booleans).
   *
   * @return the raw value, possibly null
   */
  Object raw();

  /**
   * An error about this node, for checks the schema cannot express.
   *
   * @param problem what was wrong and what was expected, e.g. {@code -1 (expected: > 0)}
   * @return an exception naming this node's path
   */
  ConfigException invalid(String problem);

  /**
   * A required string field.
   *
   * @param field the field name
   * @return the value
   */
  default String string(String field) {
    return get(field).asString();
  }

  /**
   * An optional string field.
   *
   * @param field the field name
   * @param fallback the value when absent
   * @return the value
   */
  default String string(String field, String fallback) {
    return find(field).map(ConfigNode::asString).orElse(fallback);
  }

  /**
   * A required integer field within {@code int} range.
   *
   * @param field the field name
   * @return the value
   */
  default int integer(String field) {
    ConfigNode node = get(field);
    long value = node.asLong();
    if (value < Integer.MIN_VALUE || value > Integer.MAX_VALUE) {
      throw node.invalid(value + " (expected: a 32-bit integer)");
    }
    return (int) value;
  }

  /**
   * An optional integer field.
   *
   * @param field the field name
   * @param fallback the value when absent
   * @return the value
   */
  default int integer(String field, int fallback) {
    return has(field) ? integer(field) : fallback;
  }

  /**
   * An optional boolean field.
   *
   * @param field the field name
   * @param fallback the value when absent
   * @return the value
   */
  default boolean bool(String field, boolean fallback) {
    return find(field).map(ConfigNode::asBoolean).orElse(fallback);
  }

  /**
   * A required duration field.
   *
   * @param field the field name
   * @return the value
   */
  default Duration duration(String field) {
    return get(field).asDuration();
  }

  /**
   * An optional duration field.
   *
   * @param field the field name
   * @param fallback the value when absent
   * @return the value
   */
  default Duration duration(String field, Duration fallback) {
    return find(field).map(ConfigNode::asDuration).orElse(fallback);
  }

  /**
   * An optional list field.
   *
   * @param field the field name
   * @return the elements, empty when absent
   */
  default List<ConfigNode> list(String field) {
    return find(field).map(ConfigNode::asList).orElse(List.of());
  }

  /**
   * An optional list-of-strings field.
   *
   * @param field the field name
   * @return the strings, empty when absent
   */
  default List<String> strings(String field) {
    return list(field).stream().map(ConfigNode::asString).toList();
  }

  /**
   * This node as an enum constant, written as the constant's name in lower case with dashes for
   * underscores: {@code CONNECT_FAILURE} is {@code connect-failure}, {@code LOCAL} is {@code
   * local}.
   *
   * @param <E> the enum type
   * @param type the enum class
   * @return the constant
   * @throws ConfigException if it is not one of them, e.g. {@code mode: "lokal" (expected: local |
   *     global)}
   */
  default <E extends Enum<E>> E asEnum(Class<E> type) {
    return asEnum(type, ValueConfigNode::kebabCase);
  }

  /**
   * This node as an enum constant with the plugin's own spelling, for names the default rule cannot
   * make ({@code 5xx}, {@code http/protobuf}). The error lists the spellings in declaration order.
   *
   * <pre>{@code
   * Condition c = node.asEnum(Condition.class, Condition::configName);
   * }</pre>
   *
   * @param <E> the enum type
   * @param type the enum class
   * @param spelling how each constant is written in config
   * @return the constant whose spelling equals the text exactly
   * @throws ConfigException if it is none of them, e.g. {@code retryOn[0]: "sometimes" (expected:
   *     5xx | gateway-error | reset)}
   */
  default <E extends Enum<E>> E asEnum(Class<E> type, Function<? super E, String> spelling) {
    return ValueConfigNode.enumConstant(this, type, spelling);
  }

  /**
   * This node as a whole number within bounds.
   *
   * @param min the smallest value accepted
   * @param max the largest value accepted
   * @return the number
   * @throws ConfigException if it is not an integer or out of bounds, e.g. {@code tokens: 0
   *     (expected: 1..1000)}
   */
  default long asLong(long min, long max) {
    long value = asLong();
    if (value < min || value > max) {
      throw invalid(ValueConfigNode.describe(raw()) + " (expected: " + min + ".." + max + ")");
    }
    return value;
  }

  /**
   * This node as a duration within bounds, both included.
   *
   * @param min the shortest duration accepted, {@link Duration#ZERO} for any
   * @param max the longest duration accepted
   * @return the duration
   * @throws ConfigException if it is not a duration or out of bounds, e.g. {@code window: "100ms"
   *     (expected: 1s..1h)}, or {@code (expected: at most 1h)} when {@code min} is zero
   */
  default Duration asDuration(Duration min, Duration max) {
    return ValueConfigNode.boundedDuration(this, min, false, max);
  }

  /**
   * This node as a duration of at least {@code min}.
   *
   * @param min the shortest duration accepted
   * @return the duration
   * @throws ConfigException if it is not a duration or shorter, e.g. {@code idleTimeout: "500ms"
   *     (expected: at least 1s)}
   */
  default Duration asDurationAtLeast(Duration min) {
    return ValueConfigNode.boundedDuration(this, min, false, null);
  }

  /**
   * This node as a duration more than zero.
   *
   * @return the duration
   * @throws ConfigException if it is not a duration or zero, e.g. {@code timeout: "0s" (expected:
   *     more than 0)}
   */
  default Duration asPositiveDuration() {
    return ValueConfigNode.boundedDuration(this, Duration.ZERO, true, null);
  }

  /**
   * This node as a duration more than zero and at most {@code max}.
   *
   * @param max the longest duration accepted
   * @return the duration
   * @throws ConfigException if it is not a duration or out of bounds, e.g. {@code fixed: "2h"
   *     (expected: more than 0, at most 1h)}
   */
  default Duration asPositiveDuration(Duration max) {
    return ValueConfigNode.boundedDuration(this, Duration.ZERO, true, requireNonNull(max, "max"));
  }

  /**
   * This node as text: a string as written, a number or boolean as its plain text, e.g. for claim
   * values that may be written {@code 3} or {@code "3"}.
   *
   * @return the text
   * @throws ConfigException if it is an object, a list or null
   */
  default String asText() {
    Object raw = raw();
    if (raw instanceof String || raw instanceof Number || raw instanceof Boolean) {
      return String.valueOf(raw);
    }
    throw invalid(ValueConfigNode.describe(raw) + " (expected: a string, number or boolean)");
  }

  /**
   * This node's elements, each turned into a value. An error from {@code element} names the
   * element's indexed path, e.g. {@code rules[2].allow}.
   *
   * @param <T> the element type
   * @param element turns one element into a value
   * @return the values in written order, unmodifiable
   * @throws ConfigException if it is not a list, or as thrown by {@code element}
   */
  default <T> List<T> asList(Function<? super ConfigNode, ? extends T> element) {
    requireNonNull(element, "element");
    List<ConfigNode> nodes = asList();
    List<T> values = new ArrayList<>(nodes.size());
    for (ConfigNode node : nodes) {
      values.add(element.apply(node));
    }
    return Collections.unmodifiableList(values);
  }

  /**
   * This node's elements if it is a list, else this node alone, each turned into a value: for
   * fields written either as one value or as a list of them ({@code scope: read} or {@code scope:
   * [read, write]}).
   *
   * <pre>{@code
   * List<String> accepted = claim.asListOrSingle(ConfigNode::asText);
   * }</pre>
   *
   * @param <T> the element type
   * @param element turns one element (with its indexed path, or this node) into a value
   * @return the values in written order, unmodifiable
   * @throws ConfigException as thrown by {@code element}
   */
  default <T> List<T> asListOrSingle(Function<? super ConfigNode, ? extends T> element) {
    requireNonNull(element, "element");
    return raw() instanceof List<?>
        ? asList(element)
        : Collections.singletonList(element.apply(this));
  }

  /**
   * This node's fields, each value turned into a value. An error from {@code value} names the
   * field's path, e.g. {@code headers.x-tenant}.
   *
   * @param <T> the value type
   * @param value turns one field's value into a value
   * @return the fields in written order, unmodifiable
   * @throws ConfigException if it is not an object, or as thrown by {@code value}
   */
  default <T> Map<String, T> asMap(Function<? super ConfigNode, ? extends T> value) {
    requireNonNull(value, "value");
    Map<String, T> values = new LinkedHashMap<>();
    asMap().forEach((field, node) -> values.put(field, value.apply(node)));
    return Collections.unmodifiableMap(values);
  }

  /**
   * An optional integer field within bounds.
   *
   * @param field the field name
   * @param fallback the value when absent
   * @param min the smallest value accepted
   * @param max the largest value accepted
   * @return the value
   * @throws ConfigException if present and not an integer within bounds
   */
  default int integer(String field, int fallback, int min, int max) {
    return find(field).map(node -> (int) node.asLong(min, max)).orElse(fallback);
  }

  /**
   * An optional number field within bounds, both included.
   *
   * @param field the field name
   * @param fallback the value when absent
   * @param min the smallest value accepted
   * @param max the largest value accepted
   * @return the value
   * @throws ConfigException if present and not a number within bounds, e.g. {@code percentage: 101
   *     (expected: 0..100)}
   */
  default double number(String field, double fallback, double min, double max) {
    return find(field).map(node -> ValueConfigNode.boundedDouble(node, min, max)).orElse(fallback);
  }

  /**
   * An optional enum field, spelled as {@link #asEnum(Class)} says.
   *
   * @param <E> the enum type
   * @param field the field name
   * @param fallback the value when absent; its class is the enum read
   * @return the value
   * @throws ConfigException if present and not one of the constants
   */
  default <E extends Enum<E>> E enumValue(String field, E fallback) {
    requireNonNull(fallback, "fallback");
    return find(field).map(node -> node.asEnum(fallback.getDeclaringClass())).orElse(fallback);
  }

  /**
   * An optional list field, each element turned into a value.
   *
   * @param <T> the element type
   * @param field the field name
   * @param element turns one element into a value
   * @return the values, empty when absent
   * @throws ConfigException if present and not a list, or as thrown by {@code element}
   */
  default <T> List<T> list(String field, Function<? super ConfigNode, ? extends T> element) {
    requireNonNull(element, "element");
    return find(field).map(node -> node.<T>asList(element)).orElse(List.of());
  }
}
