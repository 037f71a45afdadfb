package io.plugmesh.pluginruntime.jar;

import io.plugmesh.filters.FilterFactory;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One jar loaded and started in a PF4J manager of its own, with the filter factories it provides,
 * so that two versions of one plugin can be loaded side by side and each unloaded on its own.
 */
public final class PluginJar {
  private static final Logger log = LoggerFactory.getLogger(PluginJar.class);

  private final KernelPluginManager manager;
  private final Path staged;
  private final String id;
  private final String version;
  private final String requires;
  private final Map<String, FilterFactory<?>> factories;

  PluginJar(
      KernelPluginManager manager,
      Path staged,
      String id,
      String version,
      String requires,
      Map<String, FilterFactory<?>> factories) {
    this.manager = manager;
    this.staged = staged;
    this.id = id;
    this.version = version;
    this.requires = requires;
    this.factories = factories;
  }

  /**
   * The plugin id ({@code plugin.id}).
   *
   * @return the id
   */
  public String id() {
    return id;
  }

  /**
   * The plugin version ({@code plugin.version}).
   *
   * @return the version, or empty
   */
  public String version() {
    return version;
  }

  /**
   * The plugin API range the plugin requires ({@code plugin.requires}).
   *
   * @return the range, or empty
   */
  public String requires() {
    return requires;
  }

  /**
   * The staged copy the plugin was loaded from.
   *
   * @return the copy
   */
  public Path staged() {
    return staged;
  }

  /**
   * The plugin's filter factories by filter name, in the order the jar declares them.
   *
   * @return the factories
   */
  public Map<String, FilterFactory<?>> factories() {
    return factories;
  }

  /**
   * The plugin's filter names, in the order the jar declares them.
   *
   * @return the names
   */
  public List<String> filters() {
    return List.copyOf(factories.keySet());
  }

  /** Stops and unloads the plugin, closing its class loader and its jar. */
  public void unload() {
    release(manager, id);
  }

  /** Stops and unloads a plugin from its manager; a failure is logged at debug level. */
  static void release(KernelPluginManager manager, String id) {
    try {
      manager.unloadPlugin(id);
    } catch (RuntimeException | LinkageError e) {
      log.debug("unloading plugin {} failed", id, e);
    }
  }

  @Override
  public String toString() {
    return id + " " + version;
  }
}
