package io.plugmesh.filters.testkit;

import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import com.networknt.schema.path.NodePath;
import io.plugmesh.filters.ConfigException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Checks a plugin's config against its JSON Schema (draft 2020-12), as the control service does.
 */
final class ConfigSchemas {
  private static final String META_SCHEMA = "https://json-schema.org/draft/2020-12/schema";

  /** Keywords whose error names a property below the instance location. */
  private static final Set<String> PROPERTY_KEYWORDS =
      Set.of("required", "additionalProperties", "dependentRequired", "unevaluatedProperties");

  /** How many further errors a message lists after the first. */
  private static final int MAX_LISTED_ERRORS = 5;

  private static final SchemaRegistry REGISTRY =
      SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);
  private static final JsonMapper MAPPER = JsonMapper.builder().build();

  private ConfigSchemas() {}

  /**
   * Validates {@code config} against {@code schemaJson}.
   *
   * @throws IllegalArgumentException if the schema is not JSON or not a valid draft 2020-12 schema
   * @throws ConfigException naming the first offending field, if the config does not conform
   */
  static void validate(String plugin, String schemaJson, Map<String, ?> config) {
    if (schemaJson == null || schemaJson.isBlank()) {
      throw new IllegalArgumentException(
          "plugin '" + plugin + "': configSchema() is empty (expected: a JSON Schema document)");
    }
    JsonNode schemaNode;
    try {
      schemaNode = MAPPER.readTree(schemaJson);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          "plugin '" + plugin + "': configSchema() is not JSON: " + e.getMessage(), e);
    }
    List<Error> metaErrors =
        REGISTRY.getSchema(SchemaLocation.of(META_SCHEMA)).validate(schemaNode);
    if (!metaErrors.isEmpty()) {
      Error first = metaErrors.get(0);
      throw new IllegalArgumentException(
          "plugin '"
              + plugin
              + "': configSchema() is not a valid draft 2020-12 JSON Schema: "
              + pointer(first.getInstanceLocation())
              + ": "
              + first.getMessage());
    }
    Schema schema;
    try {
      schema = REGISTRY.getSchema(schemaJson, InputFormat.JSON);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          "plugin '" + plugin + "': configSchema() cannot be loaded: " + e.getMessage(), e);
    }
    JsonNode configNode = MAPPER.valueToTree(config);
    List<Error> errors = schema.validate(configNode);
    if (errors.isEmpty()) {
      return;
    }
    Error first = errors.get(0);
    StringBuilder problem = new StringBuilder(first.getMessage());
    if (errors.size() > 1) {
      problem
          .append(" (and ")
          .append(errors.size() - 1)
          .append(" more: ")
          .append(
              errors.stream()
                  .skip(1)
                  .limit(MAX_LISTED_ERRORS)
                  .map(e -> describe(field(e)) + ": " + e.getMessage())
                  .collect(Collectors.joining("; ")))
          .append(errors.size() - 1 > MAX_LISTED_ERRORS ? "; ..." : "")
          .append(')');
    }
    problem.append(" [config schema of plugin '").append(plugin).append("']");
    throw new ConfigException(field(first), problem.toString());
  }

  /** The field an error is about, in config path form: {@code rules[0].allow}. */
  static String field(Error error) {
    StringBuilder sb = new StringBuilder();
    NodePath path = error.getInstanceLocation();
    for (int i = 0; i < path.getNameCount(); i++) {
      Object element = path.getElement(i);
      if (element instanceof Integer index) {
        sb.append('[').append(index).append(']');
      } else {
        sb.append(sb.length() == 0 ? "" : ".").append(element);
      }
    }
    if (error.getProperty() != null && PROPERTY_KEYWORDS.contains(error.getKeyword())) {
      sb.append(sb.length() == 0 ? "" : ".").append(error.getProperty());
    }
    return sb.toString();
  }

  private static String describe(String field) {
    return field.isEmpty() ? "(config)" : field;
  }

  private static String pointer(NodePath path) {
    String s = path.toString();
    return s.isEmpty() ? "(root)" : s;
  }
}
