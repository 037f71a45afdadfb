package io.plugmesh.filters;

import static java.util.Objects.requireNonNull;

/**
 * A plugin configuration is invalid. The message names the field and what was expected, e.g. {@code
 * tokens: -1 (expected: > 0)}; the proxy adds the route and plugin.
 */
public final class ConfigException extends RuntimeException {
  /** Serialization version. */
  private static final long serialVersionUID = 1L;

  /** The field path. */
  private final String field;

  /** What was wrong. */
  private final String problem;

  /**
   * Creates a config error.
   *
   * @param field the field path, e.g. {@code rules[0].allow.claims}; empty for the whole config
   * @param problem what was wrong and what was expected
   */
  public ConfigException(String field, String problem) {
    super(field.isEmpty() ? problem : field + ": " + problem);
    this.field = requireNonNull(field, "field");
    this.problem = requireNonNull(problem, "problem");
  }

  /**
   * The field path that was wrong.
   *
   * @return the path, empty for the whole config
   */
  public String field() {
    return field;
  }

  /**
   * What was wrong, without the field.
   *
   * @return the problem
   */
  public String problem() {
    return problem;
  }
}
