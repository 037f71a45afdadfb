package io.plugmesh.pluginruntime;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * What the host knows about one plugin: a jar it loaded (or failed to load), or a built-in filter.
 *
 * @param id the plugin id ({@code plugin.id}); for a built-in, the filter name
 * @param version the plugin version; for a built-in, the kernel's plugin API version
 * @param requires the API range the plugin requires ({@code plugin.requires}); empty for a built-in
 * @param path where the plugin was loaded from; empty for a built-in
 * @param state started, failed or built-in
 * @param error why the plugin failed; empty unless {@link State#FAILED}
 * @param filters the filter names the plugin provides (for a failed plugin: those it declared, if
 *     they could be read)
 */
public record PluginInfo(
    String id,
    String version,
    String requires,
    String path,
    State state,
    String error,
    List<String> filters) {

  /** The state of a plugin in the host. */
  public enum State {
    /** Loaded from a jar and started; its filters can be used. */
    STARTED,
    /** Could not be loaded or started; routes naming its filters answer 503. */
    FAILED,
    /** Provided by the kernel, not by a jar. */
    BUILTIN,
    /**
     * Replaced by a newer version or removed from the plugins directory; no new config version uses
     * it, and it is unloaded once no chain still serving a request does.
     */
    RETIRED
  }

  /**
   * Creates a plugin record.
   *
   * @param id the plugin id
   * @param version the version
   * @param requires the required API range
   * @param path the source path
   * @param state the state
   * @param error the failure reason, empty unless failed
   * @param filters the filter names
   */
  public PluginInfo {
    requireNonNull(id, "id");
    requireNonNull(version, "version");
    requireNonNull(requires, "requires");
    requireNonNull(path, "path");
    requireNonNull(state, "state");
    requireNonNull(error, "error");
    filters = List.copyOf(filters);
  }
}
