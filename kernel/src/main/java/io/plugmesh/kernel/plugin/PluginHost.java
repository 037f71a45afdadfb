package io.plugmesh.kernel.plugin;

import static java.util.Objects.requireNonNull;

import io.plugmesh.filters.FilterFactory;
import io.plugmesh.filters.FilterServices;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.regex.Pattern;
import org.pf4j.ExtensionWrapper;
import org.pf4j.PluginDescriptor;
import org.pf4j.PluginState;
import org.pf4j.PluginWrapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads filter plugins (PF4J jars) from a directory next to the kernel's built-in filters, and
 * keeps their factories, their state and their shared objects until closed.
 *
 * <p>A plugin that cannot be loaded or started (unreadable jar, incompatible {@code
 * plugin.requires}, a factory that cannot be created, a filter name already taken) is recorded as
 * {@link PluginInfo.State#FAILED} with the reason and logged; the other plugins load on. Routes
 * naming a failed plugin's filter get a link that answers 503 (see {@link ChainBuilder}).
 */
public final class PluginHost implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PluginHost.class);

  /** Most objects one plugin may keep through {@link FilterServices#shared}; default 256. */
  public static final int MAX_SHARED_OBJECTS_PER_PLUGIN = 256;

  /** Filter names: lower case, digits and dashes, starting with a letter, at most 64 chars. */
  private static final Pattern FILTER_NAME = Pattern.compile("[a-z][a-z0-9-]{0,63}");

  /** A failure reason longer than this is shortened in {@link PluginInfo#error()}. */
  private static final int MAX_REASON_CHARS = 500;

  private final String apiVersion;
  private final KernelPluginManager manager;
  private final Map<String, FilterFactory<?>> factories;
  private final Map<String, PluginInfo> pluginByFilter;
  private final Map<String, String> unavailable;
  private final List<PluginInfo> plugins;
  private final ConfigSchemas schemas;
  private final ConcurrentMap<String, SharedObjects> shared = new ConcurrentHashMap<>();
  private final AtomicBoolean closed = new AtomicBoolean();

  private PluginHost(
      String apiVersion,
      KernelPluginManager manager,
      Map<String, FilterFactory<?>> factories,
      Map<String, PluginInfo> pluginByFilter,
      Map<String, String> unavailable,
      List<PluginInfo> plugins,
      ConfigSchemas schemas) {
    this.apiVersion = apiVersion;
    this.manager = manager;
    this.factories = factories;
    this.pluginByFilter = pluginByFilter;
    this.unavailable = unavailable;
    this.plugins = plugins;
    this.schemas = schemas;
  }

  /**
   * Loads and starts every plugin in {@code pluginsDir} and registers the built-in factories.
   *
   * @param pluginsDir the plugins directory (fat jars with {@code plugin.properties} or MANIFEST
   *     {@code Plugin-*} entries); a missing directory means no plugins
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
    ConfigSchemas schemas = new ConfigSchemas();
    Map<String, FilterFactory<?>> factories = new LinkedHashMap<>();
    Map<String, PluginInfo> pluginByFilter = new HashMap<>();
    Map<String, String> unavailable = new HashMap<>();
    List<PluginInfo> infos = new ArrayList<>();

    for (FilterFactory<?> builtin : builtins) {
      requireNonNull(builtin, "builtin");
      String name = checkFactory(builtin, schemas);
      if (factories.containsKey(name)) {
        throw new IllegalArgumentException(
            "built-in filter '" + name + "' is registered twice (expected: unique names)");
      }
      factories.put(name, builtin);
      PluginInfo info =
          new PluginInfo(name, apiVersion, "", "", PluginInfo.State.BUILTIN, "", List.of(name));
      pluginByFilter.put(name, info);
      infos.add(info);
    }

    KernelPluginManager manager = null;
    if (!Files.isDirectory(pluginsDir)) {
      log.warn(
          "plugins directory {} does not exist; running with built-in filters only ({})",
          pluginsDir,
          factories.keySet());
    } else {
      manager = new KernelPluginManager(pluginsDir, apiVersion);
      try {
        manager.loadPlugins();
        manager.startPlugins();
      } catch (RuntimeException e) {
        log.error("loading plugins from {} failed part-way", pluginsDir, e);
      }
      loadJars(manager, apiVersion, schemas, factories, pluginByFilter, unavailable, infos);
    }
    PluginHost host =
        new PluginHost(
            apiVersion,
            manager,
            Map.copyOf(factories),
            Map.copyOf(pluginByFilter),
            Map.copyOf(unavailable),
            List.copyOf(infos),
            schemas);
    log.info(
        "plugin host ready: API {}, filters {}, failed plugins {}",
        apiVersion,
        new TreeMap<>(factories).keySet(),
        infos.stream()
            .filter(i -> i.state() == PluginInfo.State.FAILED)
            .map(PluginInfo::id)
            .toList());
    return host;
  }

  private static void loadJars(
      KernelPluginManager manager,
      String apiVersion,
      ConfigSchemas schemas,
      Map<String, FilterFactory<?>> factories,
      Map<String, PluginInfo> pluginByFilter,
      Map<String, String> unavailable,
      List<PluginInfo> infos) {
    for (Map.Entry<Path, Throwable> failure : manager.loadFailures().entrySet()) {
      Path path = failure.getKey();
      String id = idFromFileName(path);
      String reason = shorten(describeLoadFailure(path, failure.getValue()));
      log.error("plugin {} ({}) failed to load: {}", id, path, reason);
      infos.add(
          new PluginInfo(id, "", "", path.toString(), PluginInfo.State.FAILED, reason, List.of()));
      unavailable.putIfAbsent(id, reason);
    }
    List<PluginWrapper> wrappers = new ArrayList<>(manager.getPlugins());
    wrappers.sort(Comparator.comparing(w -> w.getPluginPath().toString()));
    for (PluginWrapper wrapper : wrappers) {
      PluginDescriptor d = wrapper.getDescriptor();
      String id = wrapper.getPluginId();
      String requires = d.getRequires() == null ? "" : d.getRequires();
      String version = d.getVersion() == null ? "" : d.getVersion();
      String path = wrapper.getPluginPath().toString();
      List<String> declared = new ArrayList<>();
      String reason = startFailure(manager, wrapper);
      Map<String, FilterFactory<?>> own = new LinkedHashMap<>();
      if (reason == null) {
        reason = discover(manager, wrapper, schemas, factories, own, declared);
      }
      if (reason != null) {
        reason = shorten(reason);
        log.error("plugin {} {} ({}) failed: {}", id, version, path, reason);
        infos.add(
            new PluginInfo(id, version, requires, path, PluginInfo.State.FAILED, reason, declared));
        unavailable.putIfAbsent(id, reason);
        release(manager, id);
        for (String name : declared) {
          if (!factories.containsKey(name)) {
            unavailable.putIfAbsent(name, reason);
          }
        }
        continue;
      }
      PluginInfo info =
          new PluginInfo(
              id, version, requires, path, PluginInfo.State.STARTED, "", List.copyOf(own.keySet()));
      factories.putAll(own);
      own.keySet().forEach(name -> pluginByFilter.put(name, info));
      infos.add(info);
      log.info("plugin {} {} started: filters {}", id, version, own.keySet());
    }
    // A name once unavailable but provided by a later plugin is available after all.
    unavailable.keySet().removeAll(factories.keySet());
  }

  /** Stops and unloads a plugin that will not be used, closing its jar. */
  private static void release(KernelPluginManager manager, String id) {
    try {
      manager.unloadPlugin(id);
    } catch (RuntimeException | LinkageError e) {
      log.debug("unloading failed plugin {} failed", id, e);
    }
  }

  /** Why PF4J did not start the plugin, or null if it did. */
  private static String startFailure(KernelPluginManager manager, PluginWrapper wrapper) {
    String invalid = manager.invalidReason(wrapper.getPluginId());
    if (invalid != null) {
      return invalid;
    }
    PluginState state = wrapper.getPluginState();
    if (state == PluginState.STARTED) {
      return null;
    }
    Throwable failed = wrapper.getFailedException();
    if (state == PluginState.DISABLED && failed == null) {
      return "disabled by the plugins directory's enabled.txt/disabled.txt";
    }
    if (failed instanceof NullPointerException && wrapper.getPlugin() == null) {
      return "plugin class '"
          + wrapper.getDescriptor().getPluginClass()
          + "' cannot be loaded or instantiated (expected: a public org.pf4j.Plugin subclass, or"
          + " no plugin.class)";
    }
    if (failed != null) {
      return "failed to start: " + failed;
    }
    return "not started (state " + state + ")";
  }

  /** Creates the plugin's factories into {@code own}; returns a failure reason or null. */
  private static String discover(
      KernelPluginManager manager,
      PluginWrapper wrapper,
      ConfigSchemas schemas,
      Map<String, FilterFactory<?>> registered,
      Map<String, FilterFactory<?>> own,
      List<String> declared) {
    List<ExtensionWrapper<?>> extensions;
    try {
      extensions = manager.filterFactoryExtensions(wrapper.getPluginId());
    } catch (RuntimeException | LinkageError e) {
      return "reading its filter factories failed: " + rootMessage(e);
    }
    if (extensions.isEmpty()) {
      return "declares no filter factory (expected: a class implementing"
          + " io.plugmesh.filters.FilterFactory listed in META-INF/extensions.idx, e.g. by"
          + " @Extension)";
    }
    for (ExtensionWrapper<?> extension : extensions) {
      String className = extension.getDescriptor().extensionClass.getName();
      Object instance;
      try {
        instance = extension.getExtension();
      } catch (RuntimeException | LinkageError e) {
        return "creating filter factory " + className + " failed: " + rootMessage(e);
      }
      if (!(instance instanceof FilterFactory<?> factory)) {
        return className + " is not a FilterFactory of this kernel's filter API";
      }
      String name;
      try {
        name = checkFactory(factory, schemas);
      } catch (RuntimeException | LinkageError e) {
        return "filter factory " + className + ": " + rootMessage(e);
      }
      declared.add(name);
      if (registered.containsKey(name) || own.containsKey(name)) {
        return "filter name '"
            + name
            + "' of "
            + className
            + " is already provided by another plugin (expected: unique filter names)";
      }
      own.put(name, factory);
    }
    return null;
  }

  /** Checks a factory's name, phase and schema; returns its name. */
  private static String checkFactory(FilterFactory<?> factory, ConfigSchemas schemas) {
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

  private static String describeLoadFailure(Path path, Throwable error) {
    if (Files.isRegularFile(path)) {
      try (JarFile jar = new JarFile(path.toFile())) {
        Manifest manifest = jar.getManifest();
        boolean hasManifestId =
            manifest != null && manifest.getMainAttributes().getValue("Plugin-Id") != null;
        if (jar.getEntry("plugin.properties") == null && !hasManifestId) {
          return "no plugin descriptor (expected: plugin.properties or a MANIFEST Plugin-Id)";
        }
      } catch (IOException | SecurityException e) {
        return "not a readable jar: " + e.getMessage();
      }
    }
    return "cannot load: " + rootMessage(error);
  }

  private static String rootMessage(Throwable error) {
    Throwable t = error;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    String message = t.getMessage();
    String text = t.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    return t == error ? text : error.getMessage() + " (" + text + ")";
  }

  private static String idFromFileName(Path path) {
    String name = path.getFileName().toString();
    return name.endsWith(".jar") || name.endsWith(".zip")
        ? name.substring(0, name.length() - 4)
        : name;
  }

  private static String shorten(String reason) {
    return reason.length() <= MAX_REASON_CHARS
        ? reason
        : reason.substring(0, MAX_REASON_CHARS) + "…";
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
    return Optional.ofNullable(factories.get(requireNonNull(name, "name")));
  }

  /**
   * The available filter names, sorted.
   *
   * @return the names
   */
  public List<String> filterNames() {
    return factories.keySet().stream().sorted().toList();
  }

  /**
   * The plugin that provides a filter.
   *
   * @param factoryName the filter name
   * @return the plugin (or built-in), or empty if the name is not available
   */
  public Optional<PluginInfo> pluginFor(String factoryName) {
    return Optional.ofNullable(pluginByFilter.get(requireNonNull(factoryName, "factoryName")));
  }

  /**
   * Every plugin the host knows: built-ins first, then jars by path, failed ones included.
   *
   * @return the plugins
   */
  public List<PluginInfo> plugins() {
    return plugins;
  }

  /**
   * Why a filter name is not available, when a failed plugin declared it or is named like it (the
   * convention is plugin id == filter name).
   *
   * @param factoryName the filter name
   * @return the failure reason, or empty if the name is available or unknown
   */
  public Optional<String> failureReason(String factoryName) {
    return Optional.ofNullable(unavailable.get(requireNonNull(factoryName, "factoryName")));
  }

  ConfigSchemas schemas() {
    return schemas;
  }

  /** The shared-object registry of one filter (plugin) name; created on first use. */
  SharedObjects sharedObjects(String factoryName) {
    if (closed.get()) {
      throw new IllegalStateException("plugin host is closed");
    }
    return shared.computeIfAbsent(
        factoryName, name -> new SharedObjects(name, MAX_SHARED_OBJECTS_PER_PLUGIN));
  }

  /** Closes every plugin's shared objects, then stops and unloads the plugins. Idempotent. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    shared.values().forEach(SharedObjects::close);
    if (manager != null) {
      try {
        manager.stopPlugins();
        manager.unloadPlugins();
      } catch (RuntimeException e) {
        log.warn("stopping plugins failed", e);
      }
    }
  }

  @Override
  public String toString() {
    return "PluginHost{api=" + apiVersion + ", filters=" + filterNames() + "}";
  }
}
