package io.plugmesh.pluginruntime;

import io.plugmesh.filters.FilterFactory;
import io.plugmesh.pluginruntime.jar.FactoryCheck;
import java.util.regex.Pattern;

/**
 * The rules every filter factory meets before the host serves it, built-in or from a jar: a valid
 * filter name, a phase, and a config schema that compiles (kept in {@link ConfigSchemas}).
 */
final class FactoryAdmission implements FactoryCheck {

  /** Filter names: lower case, digits and dashes, starting with a letter, at most 64 chars. */
  private static final Pattern FILTER_NAME = Pattern.compile("[a-z][a-z0-9-]{0,63}");

  private final ConfigSchemas schemas;

  FactoryAdmission(ConfigSchemas schemas) {
    this.schemas = schemas;
  }

  /**
   * Checks a factory's name, phase and schema and compiles the schema.
   *
   * @throws IllegalArgumentException naming what is wrong
   */
  @Override
  public String admit(FilterFactory<?> factory) {
    String name = factory.name();
    if (name == null || !FILTER_NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "filter name "
              + (name == null ? "null" : "'" + name + "'")
              + " of "
              + factory.getClass().getName()
              + " (expected: lower case letters, digits and dashes, starting with a letter, at"
              + " most 64 characters)");
    }
    if (factory.phase() == null) {
      throw new IllegalArgumentException(
          "filter '" + name + "': phase() returned null (expected: a Phase)");
    }
    schemas.compile(factory, name);
    return name;
  }

  @Override
  public void forget(FilterFactory<?> factory) {
    schemas.forget(factory);
  }
}
