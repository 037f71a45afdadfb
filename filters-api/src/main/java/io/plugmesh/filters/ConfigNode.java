package io.plugmesh.filters;

import io.plugmesh.filters.internal.ValueConfigNode;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A read-only view of a plugin's configuration tree (what the admin wrote under {@code config:}),
 * with typed accessors whose errors name the field and what was expected.
 *
 * <pre>{@code
 * int tokens = config.integer("tokens");                         // required
 * Duration per = config.duration("per", Duration.ofSeconds(1));  // optional with default
 * for (ConfigNode rule : config.list("rules")) { ... }           // errors say rules[2].allow
 * }</pre>
 *
 * <p>Durations are written as a number and a unit: {@code 250ms}, {@code 2s}, {@code 5m}, {@code
 * 1h}, {@code 1d}.
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
}
