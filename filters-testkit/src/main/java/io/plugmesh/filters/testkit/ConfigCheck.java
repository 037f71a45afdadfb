package io.plugmesh.filters.testkit;

import io.plugmesh.filters.ConfigException;
import io.plugmesh.filters.FilterFactory;
import io.plugmesh.pluginruntime.ConfigSchemas;
import java.util.List;
import java.util.Map;

/**
 * Checks a plugin's config against its JSON Schema with the proxy's own validator ({@link
 * ConfigSchemas} from plugin-runtime), so a test sees exactly the field and text an admin would.
 */
final class ConfigCheck {

  /** Shared by every harness; it keeps no schema between checks (see {@link #validate}). */
  private static final ConfigSchemas SCHEMAS = new ConfigSchemas();

  private ConfigCheck() {}

  /**
   * Validates {@code config} against the factory's schema.
   *
   * @throws IllegalArgumentException if the schema is empty, not JSON or not valid JSON Schema, in
   *     the proxy's words
   * @throws ConfigException for the first violation, with the proxy's field (without its leading
   *     {@code config.}) and problem; further violations are attached as suppressed {@link
   *     ConfigException}s
   */
  static void validate(FilterFactory<?> factory, String plugin, Map<String, ?> config) {
    List<ConfigSchemas.Violation> violations;
    try {
      violations = SCHEMAS.validate(factory, plugin, config);
    } finally {
      // A test may build many harnesses from short-lived factories: compile each time, keep none.
      SCHEMAS.forget(factory);
    }
    if (violations.isEmpty()) {
      return;
    }
    ConfigException first = toConfigException(violations.get(0));
    for (ConfigSchemas.Violation more : violations.subList(1, violations.size())) {
      first.addSuppressed(toConfigException(more));
    }
    throw first;
  }

  /**
   * A violation as the exception a parser would throw: the field relative to the plugin's config,
   * which the proxy prefixes with {@code config} again when it reports it.
   */
  static ConfigException toConfigException(ConfigSchemas.Violation violation) {
    String field = violation.field();
    if (field.startsWith("config")) {
      field = field.substring("config".length());
      if (field.startsWith(".")) {
        field = field.substring(1);
      }
    }
    return new ConfigException(field, violation.problem());
  }
}
