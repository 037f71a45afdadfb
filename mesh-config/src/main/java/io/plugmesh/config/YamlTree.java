package io.plugmesh.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.snakeyaml.engine.v2.api.LoadSettings;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.ObjectReadContext;
import tools.jackson.core.StreamReadConstraints;
import tools.jackson.core.TokenStreamLocation;
import tools.jackson.dataformat.yaml.YAMLFactory;
import tools.jackson.dataformat.yaml.YAMLParser;

/**
 * Turns YAML (or JSON) text into a tree of plain values with bounded size and depth; aliases,
 * binary values and multiple documents are refused rather than silently misread.
 */
final class YamlTree {
  /** The largest config document accepted, in characters (or bytes for files). */
  static final int MAX_DOCUMENT_CHARS = 16 * 1024 * 1024;

  /** The deepest nesting of objects and lists accepted. */
  static final int MAX_NESTING_DEPTH = 64;

  /**
   * Aliases per collection the YAML loader tolerates. Jackson's YAML parser does not expand aliases
   * (so a "billion laughs" document cannot grow in memory) and the tree reader rejects every alias
   * it meets; this bounds the loader as well should either ever change.
   */
  static final int MAX_ALIASES_PER_COLLECTION = 1;

  private static final YAMLFactory FACTORY =
      YAMLFactory.builder()
          .loadSettings(
              LoadSettings.builder()
                  .setAllowDuplicateKeys(false)
                  .setAllowRecursiveKeys(false)
                  .setMaxAliasesForCollections(MAX_ALIASES_PER_COLLECTION)
                  .setCodePointLimit(MAX_DOCUMENT_CHARS)
                  .setUseMarks(true)
                  .build())
          .streamReadConstraints(
              StreamReadConstraints.builder()
                  .maxDocumentLength(MAX_DOCUMENT_CHARS)
                  .maxNestingDepth(MAX_NESTING_DEPTH + 1)
                  .build())
          .build();

  private YamlTree() {}

  /** A document that could not be read: a field path (empty) and a problem with its location. */
  static final class SyntaxError extends Exception {
    private static final long serialVersionUID = 1L;

    SyntaxError(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * Parses one YAML document.
   *
   * @param text the document
   * @return the root value (maps, lists, strings, numbers, booleans); an empty map for an empty
   *     document
   * @throws SyntaxError when the text is not a single well-formed document within the bounds
   */
  static Object parse(String text) throws SyntaxError {
    if (text.length() > MAX_DOCUMENT_CHARS) {
      throw new SyntaxError(
          "document of "
              + text.length()
              + " characters (expected: at most "
              + MAX_DOCUMENT_CHARS
              + ")");
    }
    try (JsonParser parser = FACTORY.createParser(ObjectReadContext.empty(), text)) {
      JsonToken first = parser.nextToken();
      if (first == null) {
        return new LinkedHashMap<String, Object>();
      }
      Object root = read(parser, first, 0);
      JsonToken next = parser.nextToken();
      if (next != null) {
        throw new SyntaxError(
            where(parser.currentTokenLocation())
                + "a second document (expected: one YAML document; remove the '---')");
      }
      return root;
    } catch (JacksonException e) {
      throw new SyntaxError(where(e.getLocation()) + oneLine(e.getOriginalMessage()));
    }
  }

  private static Object read(JsonParser parser, JsonToken token, int depth) throws SyntaxError {
    if (parser instanceof YAMLParser yaml && yaml.isCurrentAlias()) {
      throw new SyntaxError(
          where(parser.currentTokenLocation())
              + "alias *"
              + parser.getString()
              + " (expected: a value written out; anchors and aliases are not supported)");
    }
    switch (token) {
      case START_OBJECT -> {
        checkDepth(parser, depth);
        Map<String, Object> map = new LinkedHashMap<>();
        JsonToken t;
        while ((t = parser.nextToken()) != JsonToken.END_OBJECT) {
          if (t != JsonToken.PROPERTY_NAME) {
            throw new SyntaxError(where(parser.currentTokenLocation()) + "unexpected " + t);
          }
          String key = parser.currentName();
          if (map.containsKey(key)) {
            throw new SyntaxError(
                where(parser.currentTokenLocation())
                    + "duplicate key '"
                    + key
                    + "' (expected: each key once)");
          }
          map.put(key, read(parser, parser.nextToken(), depth + 1));
        }
        return map;
      }
      case START_ARRAY -> {
        checkDepth(parser, depth);
        List<Object> list = new ArrayList<>();
        JsonToken t;
        while ((t = parser.nextToken()) != JsonToken.END_ARRAY) {
          list.add(read(parser, t, depth + 1));
        }
        return list;
      }
      case VALUE_STRING -> {
        return parser.getString();
      }
      case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> {
        return parser.getNumberValue();
      }
      case VALUE_TRUE -> {
        return Boolean.TRUE;
      }
      case VALUE_FALSE -> {
        return Boolean.FALSE;
      }
      case VALUE_NULL -> {
        return null;
      }
      default ->
          throw new SyntaxError(
              where(parser.currentTokenLocation())
                  + "unsupported value "
                  + token
                  + " (expected: an object, list, string, number, boolean or null)");
    }
  }

  private static void checkDepth(JsonParser parser, int depth) throws SyntaxError {
    if (depth >= MAX_NESTING_DEPTH) {
      throw new SyntaxError(
          where(parser.currentTokenLocation())
              + "nesting deeper than "
              + MAX_NESTING_DEPTH
              + " levels (expected: at most "
              + MAX_NESTING_DEPTH
              + ")");
    }
  }

  private static String where(TokenStreamLocation location) {
    if (location == null || location.getLineNr() < 1) {
      return "";
    }
    return "line " + location.getLineNr() + ", column " + location.getColumnNr() + ": ";
  }

  /** Keeps the explanation of a multi-line parser message, without the source excerpt. */
  private static String oneLine(String message) {
    if (message == null) {
      return "unreadable document";
    }
    StringBuilder sb = new StringBuilder();
    for (String line : message.split("\n")) {
      String trimmed = line.strip();
      if (trimmed.isEmpty()
          || trimmed.equals("^")
          || trimmed.startsWith("in reader")
          || trimmed.startsWith("at [Source")
          || line.startsWith("    ")) {
        continue;
      }
      sb.append(sb.length() > 0 ? "; " : "").append(trimmed);
    }
    return sb.length() == 0 ? "unreadable document" : sb.toString();
  }
}
