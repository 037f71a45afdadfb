package io.plugmesh.filters.internal;

import static java.util.Objects.requireNonNull;

/**
 * A plugin's filter broke a rule or threw: the proxy answers 500 and logs the plugin's name. Not
 * part of the API.
 */
public final class FilterFailure extends RuntimeException {
  /** Serialization version. */
  private static final long serialVersionUID = 1L;

  /** The failing plugin. */
  private final String plugin;

  /**
   * Creates a failure.
   *
   * @param plugin the plugin whose filter failed
   * @param message what happened
   * @param cause the filter's exception, or null
   */
  public FilterFailure(String plugin, String message, Throwable cause) {
    super("plugin '" + plugin + "': " + message, cause);
    this.plugin = requireNonNull(plugin, "plugin");
  }

  /**
   * The plugin whose filter failed.
   *
   * @return the plugin name
   */
  public String plugin() {
    return plugin;
  }
}
