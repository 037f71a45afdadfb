package io.plugmesh.pluginruntime;

import static java.util.Objects.requireNonNull;

import io.plugmesh.filters.FilterFactory;
import io.plugmesh.filters.FilterServices;
import io.plugmesh.pluginruntime.jar.JarLoader;
import io.plugmesh.pluginruntime.jar.PluginDirectory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads filter plugins (PF4J jars) from a directory next to the kernel's built-in filters, keeps
 * their factories, their state and their shared objects, and reloads them while the proxy runs.
 *
 * <p>A plugin that cannot be loaded or started (unreadable jar, incompatible {@code
 * plugin.requires}, a factory that cannot be created, a filter name already taken) is recorded as
 * {@link PluginInfo.State#FAILED} with the reason and logged; the other plugins load on. Routes
 * naming a failed plugin's filter get a link that answers 503 (see {@link ChainBuilder}).
 *
 * <p>Each jar is copied to a private staging folder and loaded from there in a PF4J manager of its
 * own, so a jar in the plugins directory may be overwritten or removed at any time, and two
 * versions of one plugin can be loaded side by side. {@link #reload()} loads new and changed jars
 * and switches filter names to them for the chains built next; the versions they replace are {@link
 * PluginInfo.State#RETIRED} and unloaded (shared objects closed, class loader closed, staged copy
 * deleted) once no chain built from them is reachable any more, i.e. once the last request on an
 * older config version finished. Plugin dependencies ({@code plugin.dependencies}) are not
 * supported: every plugin jar is self-contained.
 *
 * <p>The host is the facade of its parts: the plugins directory and the loading of one jar ({@code
 * jar} package), the {@link PluginRegistry} of live factories, the {@link PluginReloader}'s reload
 * transaction and the {@link Retirement} of replaced versions. It serializes them under its own
 * lock.
 */
public final class PluginHost implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PluginHost.class);

  /** Most objects one plugin may keep through {@link FilterServices#shared}; default 256. */
  public static final int MAX_SHARED_OBJECTS_PER_PLUGIN = 256;

  /** Most jars read from the plugins directory; more are ignored with a warning. Default 256. */
  public static final int MAX_PLUGIN_JARS = 256;

  /** How often retired plugins are checked for release while some wait; default 1 s. */
  public static final long RELEASE_CHECK_MILLIS = 1000;

  private final String apiVersion;
  private final ConfigSchemas schemas = new ConfigSchemas();
  private final FactoryAdmission admission = new FactoryAdmission(schemas);
  private final PluginDirectory directory;
  private final PluginRegistry registry;
  private final AtomicBoolean closed = new AtomicBoolean();

  // Guarded by this.
  private final Retirement retirement = new Retirement(this::releaseUnused, this::unload);
  private final PluginReloader reloader;

  private PluginHost(String apiVersion, Path pluginsDir, List<FilterFactory<?>> builtins) {
    this.apiVersion = apiVersion;
    this.directory = new PluginDirectory(pluginsDir, MAX_PLUGIN_JARS);
    this.registry = new PluginRegistry(apiVersion, builtins, admission);
    this.reloader =
        new PluginReloader(
            directory, new JarLoader(pluginsDir, apiVersion, admission), registry, retirement);
  }

  /**
   * Loads and starts every plugin jar in {@code pluginsDir} and registers the built-in factories.
   *
   * @param pluginsDir the plugins directory (fat jars with {@code plugin.properties} or MANIFEST
   *     {@code Plugin-*} entries); a missing directory means no plugins until one appears and is
   *     reloaded
   * @param apiVersion the plugin API version this kernel offers; {@code plugin.requires} is checked
   *     against it
   * @param builtins factories provided by the kernel (or a test), registered first
   * @return the host
   * @throws IllegalArgumentException if a built-in factory is invalid (bad name or schema) or two
   *     built-ins share a name
   */
  public static PluginHost load(
      Path pluginsDir, String apiVersion, List<FilterFactory<?>> builtins) {
    requireNonNull(pluginsDir, "pluginsDir");
    requireNonNull(apiVersion, "apiVersion");
    requireNonNull(builtins, "builtins");
    PluginHost host = new PluginHost(apiVersion, pluginsDir, builtins);
    if (!Files.isDirectory(pluginsDir)) {
      log.warn(
          "plugins directory {} does not exist; running with built-in filters only ({})",
          pluginsDir,
          host.registry.builtinNames());
    } else {
      host.reload().commit();
    }
    log.info(
        "plugin host ready: API {}, filters {}, failed plugins {}",
        apiVersion,
        host.filterNames(),
        host.plugins().stream()
            .filter(i -> i.state() == PluginInfo.State.FAILED)
            .map(PluginInfo::id)
            .toList());
    return host;
  }

  /**
   * The outcome of one {@link #reload()}: already visible to chains built from now on, and either
   * committed (the versions it replaced are retired) or rolled back (the previous plugins are
   * restored, the new ones unloaded).
   */
  public final class Reload {
    private final PluginReloader.Change change;
    private boolean done;

    private Reload(PluginReloader.Change change) {
      this.change = change;
    }

    /**
     * Whether the set of usable filters changed (a plugin was loaded, replaced or removed).
     *
     * @return true if chains should be rebuilt
     */
    public boolean changed() {
      return !change.loaded().isEmpty() || !change.removed().isEmpty();
    }

    /**
     * The plugin versions loaded by this reload and now used for new chains.
     *
     * @return the plugins
     */
    public List<PluginInfo> loaded() {
      return change.loaded();
    }

    /**
     * The plugin versions replaced or removed by this reload.
     *
     * @return the plugins
     */
    public List<PluginInfo> removed() {
      return change.removed();
    }

    /**
     * The jars that changed but could not be loaded (the version before them, if any, stays).
     *
     * @return the failed plugins with their reasons
     */
    public List<PluginInfo> failed() {
      return change.failed();
    }

    /** Keeps the new plugins; the replaced versions are released once no chain uses them. */
    public void commit() {
      synchronized (PluginHost.this) {
        finish();
        reloader.commit(change);
      }
    }

    /** Restores the plugins as they were before the reload and releases the new ones. */
    public void rollback() {
      synchronized (PluginHost.this) {
        finish();
        reloader.rollback(change);
      }
    }

    private void finish() {
      if (done) {
        throw new IllegalStateException("reload already committed or rolled back");
      }
      done = true;
    }
  }

  /**
   * Reads the plugins directory again: jars that are new or whose content changed are loaded as new
   * plugin versions, removed jars are dropped, and a jar holding a newer version of an already
   * loaded plugin id supersedes the older one. The result is published at once for chains built
   * from now on; the caller rebuilds its chains and then commits, or rolls back if they do not
   * build. Unchanged jars are not touched. Callers serialize reloads with the building of chains
   * (the kernel does both under its own lock), and commit or roll back each reload before the next.
   *
   * @return the reload, to commit or roll back
   */
  public synchronized Reload reload() {
    if (closed.get()) {
      throw new IllegalStateException("plugin host is closed");
    }
    return new Reload(reloader.reload());
  }

  /**
   * Unloads every retired plugin version no chain uses any more: closes its shared objects, stops
   * it, closes its class loader and deletes its staged jar. Runs periodically while some wait;
   * callable any time.
   *
   * @return how many retired versions still wait for their last requests
   */
  public synchronized int releaseUnused() {
    return retirement.releaseUnused();
  }

  /** Unloads one plugin version: shared objects, schemas, PF4J plugin and staged copy. */
  private void unload(PluginVersion version) {
    version.closeShared();
    registry.disown(version);
    version.jar().factories().values().forEach(admission::forget);
    version.jar().unload();
    PluginDirectory.deleteQuietly(version.jar().staged());
  }

  /**
   * The plugin versions retired by a reload and not yet released.
   *
   * @return the plugins, state {@link PluginInfo.State#RETIRED}
   */
  public synchronized List<PluginInfo> retired() {
    return retirement.infos();
  }

  /**
   * The plugins directory.
   *
   * @return the directory
   */
  public Path pluginsDir() {
    return directory.dir();
  }

  /**
   * The plugin API version this kernel offers.
   *
   * @return the version, e.g. {@code 0.1.0}
   */
  public String apiVersion() {
    return apiVersion;
  }

  /**
   * The factory registered under a filter name.
   *
   * @param name the filter name as written in route config
   * @return the factory, or empty if no started plugin or built-in provides it
   */
  public Optional<FilterFactory<?>> factory(String name) {
    return registry.factory(name);
  }

  /**
   * The available filter names, sorted.
   *
   * @return the names
   */
  public List<String> filterNames() {
    return registry.filterNames();
  }

  /**
   * The plugin that provides a filter.
   *
   * @param factoryName the filter name
   * @return the plugin (or built-in), or empty if the name is not available
   */
  public Optional<PluginInfo> pluginFor(String factoryName) {
    return registry.pluginFor(factoryName);
  }

  /**
   * Every plugin the host publishes: built-ins first, then jars by path, failed ones included
   * (retired versions are listed by {@link #retired()}).
   *
   * @return the plugins
   */
  public List<PluginInfo> plugins() {
    return registry.plugins();
  }

  /**
   * Why a filter name is not available, when a failed plugin declared it or is named like it (the
   * convention is plugin id == filter name).
   *
   * @param factoryName the filter name
   * @return the failure reason, or empty if the name is available or unknown
   */
  public Optional<String> failureReason(String factoryName) {
    return registry.failureReason(factoryName);
  }

  ConfigSchemas schemas() {
    return schemas;
  }

  /**
   * The shared-object registry of one filter name, per loaded plugin version (a new version starts
   * with none); created on first use.
   */
  SharedObjects sharedObjects(String factoryName, FilterFactory<?> factory) {
    if (closed.get()) {
      throw new IllegalStateException("plugin host is closed");
    }
    return registry.sharedObjects(factoryName, factory);
  }

  /**
   * Records that {@code chain} was built with {@code factory}; its plugin stays loaded meanwhile.
   */
  void track(FilterFactory<?> factory, Object chain) {
    registry.track(factory, chain);
  }

  /**
   * Closes every plugin's shared objects, then stops and unloads the plugins and deletes their
   * staged copies. Idempotent.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    synchronized (this) {
      List<PluginVersion> all = new ArrayList<>(retirement.close());
      registry.closeBuiltinShared();
      all.addAll(reloader.published());
      for (PluginVersion version : all) {
        try {
          unload(version);
        } catch (RuntimeException e) {
          log.warn("stopping plugin {} failed", version, e);
        }
      }
      directory.close();
    }
  }

  @Override
  public String toString() {
    return "PluginHost{api=" + apiVersion + ", filters=" + filterNames() + "}";
  }
}
