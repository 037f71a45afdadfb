package io.plugmesh.pluginruntime;

import static java.util.Objects.requireNonNull;

import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SchemaRegistryConfig;
import com.networknt.schema.SpecificationVersion;
import com.networknt.schema.path.NodePath;
import com.networknt.schema.path.PathType;
import io.plugmesh.filters.FilterFactory;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The one plugin config schema validator: compiles each factory's config JSON Schema (draft
 * 2020-12) once and validates route configs against it, naming each violation's field like {@code
 * config.rules[0].allow}. The proxy and the control service check configs with it before any chain
 * is built, and the test kit's {@code FilterHarness} with the same instance type, so a plugin's
 * unit tests see exactly the messages an admin would.
 *
 * <pre>{@code
 * ConfigSchemas schemas = new ConfigSchemas();
 * for (ConfigSchemas.Violation v : schemas.validate(factory, "ratelimit", Map.of("tokens", -1))) {
 *   System.out.println(v.field() + ": " + v.problem()); // config.tokens: must have a minimum ...
 * }
 * }</pre>
 *
 * <p>Thread-safe. Compiled schemas are kept per factory instance until {@link #forget}.
 */
public final class ConfigSchemas {

  /** At most this many schema violations are reported for one plugin entry. */
  public static final int MAX_VIOLATIONS_PER_CONFIG = 20;

  /** A value longer than this is shortened in messages. */
  private static final int MAX_VALUE_CHARS = 64;

  private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_-]*");

  /**
   * One schema violation.
   *
   * @param field the field from the plugin entry: {@code config} for the whole config, else e.g.
   *     {@code config.rules[0].allow} or {@code config["x y"]}
   * @param problem what was wrong, e.g. {@code must have a minimum value of 1 (got 0)}
   */
  public record Violation(String field, String problem) {
    /**
     * Creates a violation.
     *
     * @param field the field, starting with {@code config}
     * @param problem the problem
     */
    public Violation {
      requireNonNull(field, "field");
      requireNonNull(problem, "problem");
    }
  }

  /** Creates a validator; the JSON Schema engine is loaded on first use. */
  public ConfigSchemas() {}

  /**
   * The validator's registry, meta-schema and JSON mapper, built on first use: loading them costs a
   * few hundred classes, which a proxy whose plugins declare no schema never needs.
   */
  private static final class Engine {
    final SchemaRegistry registry =
        SchemaRegistry.withDefaultDialect(
            SpecificationVersion.DRAFT_2020_12,
            builder ->
                builder.schemaRegistryConfig(
                    SchemaRegistryConfig.builder().pathType(PathType.JSON_PATH).build()));
    final Schema metaSchema =
        registry.getSchema(SchemaLocation.of(SpecificationVersion.DRAFT_2020_12.getDialectId()));
    final JsonMapper mapper = JsonMapper.builder().build();
  }

  private volatile Engine engine;

  private Engine engine() {
    Engine e = engine;
    if (e == null) {
      synchronized (this) {
        e = engine;
        if (e == null) {
          e = new Engine();
          engine = e;
        }
      }
    }
    return e;
  }

  // Keyed by factory identity; holds only the host's factories, so it is bounded by them.
  private final Map<FilterFactory<?>, Schema> compiled =
      Collections.synchronizedMap(new IdentityHashMap<>());

  /**
   * Compiles and caches a factory's schema.
   *
   * @param factory the factory
   * @param name the plugin name, for messages
   * @throws IllegalArgumentException when the schema is not valid JSON Schema, naming the problem
   */
  public void compile(FilterFactory<?> factory, String name) {
    schemaOf(factory, name);
  }

  private Schema schemaOf(FilterFactory<?> factory, String name) {
    Schema schema = compiled.get(factory);
    if (schema != null) {
      return schema;
    }
    String text = factory.configSchema();
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException(
          "filter '" + name + "': configSchema() is empty (expected: a JSON Schema object)");
    }
    Engine engine = engine();
    JsonNode node;
    try {
      node = engine.mapper.readTree(text);
    } catch (JacksonException e) {
      throw new IllegalArgumentException(
          "filter '"
              + name
              + "': configSchema() is not JSON ("
              + e.getOriginalMessage()
              + ") (expected: a JSON Schema object)",
          e);
    }
    List<Error> metaErrors = engine.metaSchema.validate(node);
    if (!metaErrors.isEmpty()) {
      throw new IllegalArgumentException(
          "filter '"
              + name
              + "': configSchema() is not a valid JSON Schema (draft 2020-12): "
              + metaErrors.stream().map(Error::toString).collect(Collectors.joining("; ")));
    }
    try {
      schema = engine.registry.getSchema(node);
      schema.initializeValidators();
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          "filter '" + name + "': configSchema() cannot be compiled: " + e.getMessage(), e);
    }
    compiled.put(factory, schema);
    return schema;
  }

  /**
   * Drops a factory's compiled schema (its plugin is being unloaded).
   *
   * @param factory the factory
   */
  public void forget(FilterFactory<?> factory) {
    compiled.remove(factory);
  }

  /**
   * Validates one entry's config, compiling the factory's schema on first use.
   *
   * @param factory the factory whose {@link FilterFactory#configSchema()} applies
   * @param name the plugin name, for messages
   * @param config the entry's {@code config} as plain values (maps, lists, strings, numbers)
   * @return the violations in the validator's order, at most {@link #MAX_VIOLATIONS_PER_CONFIG} and
   *     one saying how many more; empty when the config conforms
   * @throws IllegalArgumentException when the schema is empty, not JSON or not valid JSON Schema
   */
  public List<Violation> validate(FilterFactory<?> factory, String name, Object config) {
    requireNonNull(factory, "factory");
    Schema schema = schemaOf(factory, name);
    JsonNode instance;
    try {
      instance = engine().mapper.valueToTree(config);
    } catch (JacksonException | IllegalArgumentException e) {
      return List.of(
          new Violation(
              "config", "is not a tree of plain values (" + e.getMessage() + ") (expected: JSON)"));
    }
    List<Error> errors = schema.validate(instance);
    List<Violation> violations =
        new ArrayList<>(Math.min(errors.size(), MAX_VIOLATIONS_PER_CONFIG));
    for (Error error : errors) {
      if (violations.size() == MAX_VIOLATIONS_PER_CONFIG) {
        violations.add(
            new Violation(
                "config",
                (errors.size() - MAX_VIOLATIONS_PER_CONFIG) + " more schema violations not shown"));
        break;
      }
      violations.add(toViolation(error));
    }
    return violations;
  }

  private static Violation toViolation(Error error) {
    StringBuilder field = new StringBuilder("config");
    NodePath path = error.getInstanceLocation();
    for (int i = 0; i < path.getNameCount(); i++) {
      appendElement(field, path.getElement(i));
    }
    String property = error.getProperty();
    boolean aboutProperty = property != null && !property.isEmpty();
    if (aboutProperty) {
      appendElement(field, property);
    }
    String problem = error.getMessage();
    JsonNode value = error.getInstanceNode();
    if (!aboutProperty && value != null && (value.isValueNode())) {
      String text = value.toString();
      if (text.length() > MAX_VALUE_CHARS) {
        text = text.substring(0, MAX_VALUE_CHARS) + "…";
      }
      problem = problem + " (got " + text + ")";
    }
    return new Violation(field.toString(), problem);
  }

  private static void appendElement(StringBuilder field, Object element) {
    if (element instanceof Integer index) {
      field.append('[').append(index).append(']');
    } else {
      String name = String.valueOf(element);
      if (IDENTIFIER.matcher(name).matches()) {
        field.append('.').append(name);
      } else {
        field.append("[\"").append(name.replace("\"", "\\\"")).append("\"]");
      }
    }
  }
}
