package io.plugmesh.control.server.store;

import io.plugmesh.config.ConfigError;
import io.plugmesh.config.ConfigLoader;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * Reads config documents (YAML or JSON, the config file format plus an optional {@code selector}
 * per resource) and splits them into resources; writes trees as JSON.
 */
public final class Documents {
  private static final YAMLMapper YAML = YAMLMapper.builder().build();
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private Documents() {}

  /**
   * Parses YAML or JSON text into a tree of plain values.
   *
   * @param text the document
   * @param source where it came from, for messages
   * @return the root object
   * @throws ConfigError when the text is too large, malformed or not an object
   */
  public static Map<String, Object> parse(String text, String source) {
    if (text.length() > ConfigLoader.MAX_DOCUMENT_BYTES) {
      throw error(
          source,
          "",
          text.length()
              + " characters (expected: at most "
              + ConfigLoader.MAX_DOCUMENT_BYTES
              + ")");
    }
    if (text.isBlank()) {
      return new LinkedHashMap<>();
    }
    Object tree;
    try {
      tree =
          text.stripLeading().startsWith("{")
              ? JSON.readValue(text, Object.class)
              : YAML.readValue(text, Object.class);
    } catch (JacksonException e) {
      throw error(source, "", "not valid YAML or JSON: " + e.getOriginalMessage());
    }
    if (tree == null) {
      return new LinkedHashMap<>();
    }
    if (!(tree instanceof Map<?, ?> map)) {
      throw error(source, "", "a " + tree.getClass().getSimpleName() + " (expected: an object)");
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> root = (Map<String, Object>) map;
    return root;
  }

  /**
   * Splits a document into resources, in document order (seq counts from 0 per kind).
   *
   * @param root the document
   * @param source where it came from
   * @return the resources
   * @throws ConfigError naming every item without a usable name and every unknown top-level key
   */
  public static List<Resource> split(Map<String, Object> root, String source) {
    List<ConfigError.Problem> problems = new ArrayList<>();
    for (String key : root.keySet()) {
      boolean known = false;
      for (Kind k : Kind.values()) {
        known |= k.plural().equals(key);
      }
      if (!known) {
        problems.add(
            ConfigError.Problem.at(key, "unknown field (expected: listeners, clusters or routes)"));
      }
    }
    List<Resource> out = new ArrayList<>();
    for (Kind k : Kind.values()) {
      Object items = root.get(k.plural());
      if (items == null) {
        continue;
      }
      if (!(items instanceof List<?> list)) {
        problems.add(ConfigError.Problem.at(k.plural(), "not a list (expected: a list)"));
        continue;
      }
      for (int i = 0; i < list.size(); i++) {
        String at = k.plural() + "[" + i + "]";
        if (!(list.get(i) instanceof Map<?, ?> item)) {
          problems.add(
              ConfigError.Problem.at(at, "not an object (expected: a " + k.singular() + ")"));
          continue;
        }
        if (!(item.get("name") instanceof String name) || name.isBlank()) {
          problems.add(ConfigError.Problem.at(at + ".name", "missing (expected: a name)"));
          continue;
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> tree = new LinkedHashMap<>((Map<String, Object>) item);
        out.add(new Resource(k, name, tree, i));
      }
    }
    if (!problems.isEmpty()) {
      throw new ConfigError(source, problems);
    }
    return out;
  }

  /**
   * A tree as JSON text.
   *
   * @param tree plain values
   * @return the JSON
   */
  public static String json(Object tree) {
    return JSON.writeValueAsString(tree);
  }

  /**
   * A tree as indented JSON text.
   *
   * @param tree plain values
   * @return the JSON
   */
  public static String prettyJson(Object tree) {
    return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(tree);
  }

  /**
   * A tree as YAML text.
   *
   * @param tree plain values
   * @return the YAML
   */
  public static String yaml(Object tree) {
    return YAML.writeValueAsString(tree);
  }

  /**
   * JSON text as a tree.
   *
   * @param json the text
   * @return plain values
   */
  public static Object fromJson(String json) {
    return JSON.readValue(json, Object.class);
  }

  private static ConfigError error(String source, String field, String message) {
    return new ConfigError(source, List.of(ConfigError.Problem.at(field, message)));
  }
}
