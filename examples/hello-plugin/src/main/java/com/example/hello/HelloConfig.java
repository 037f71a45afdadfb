package com.example.hello;

import static java.util.Objects.requireNonNull;

import io.plugmesh.filters.ConfigException;
import io.plugmesh.filters.ConfigNode;

/**
 * The hello plugin's config.
 *
 * @param greeting the text sent in the header and as the answer
 * @param header the header carrying the greeting, upstream and back
 * @param answerPath a path the plugin answers itself with the greeting, or null for none
 */
public record HelloConfig(String greeting, String header, String answerPath) {

  /** The header used when none is configured. */
  public static final String DEFAULT_HEADER = "x-hello";

  /** Checks the parts; the schema already did, this guards direct construction. */
  public HelloConfig {
    requireNonNull(greeting, "greeting");
    requireNonNull(header, "header");
    if (answerPath != null && !answerPath.startsWith("/")) {
      throw new ConfigException(
          "answerPath", "'" + answerPath + "' (expected: a path starting with /)");
    }
  }

  /**
   * Reads the config of one route's plugin entry (already checked against the schema).
   *
   * @param node the {@code config} object
   * @return the config
   */
  public static HelloConfig parse(ConfigNode node) {
    return new HelloConfig(
        node.string("greeting"),
        node.string("header", DEFAULT_HEADER),
        node.string("answerPath", null));
  }
}
