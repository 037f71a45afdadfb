package io.plugmesh.pluginruntime.jar;

import static java.util.Objects.requireNonNull;

import io.plugmesh.filters.FilterFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import org.pf4j.ExtensionWrapper;
import org.pf4j.PluginDescriptor;
import org.pf4j.PluginState;
import org.pf4j.PluginWrapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads one staged jar into a PF4J manager of its own, starts its plugin and creates the filter
 * factories it declares. A jar that cannot be read, has no descriptor, requires another plugin API,
 * does not start or declares no usable factory fails with a reason saying what was expected; what
 * was loaded of it is unloaded again.
 */
public final class JarLoader {
  private static final Logger log = LoggerFactory.getLogger(JarLoader.class);

  private static final String[] ARCHIVE_SUFFIXES = {".jar", ".zip"};

  private final Path pluginsDir;
  private final String apiVersion;
  private final FactoryCheck check;

  /**
   * Creates a loader.
   *
   * @param pluginsDir the plugins directory (PF4J's root, where it looks for enabled.txt and
   *     disabled.txt)
   * @param apiVersion the plugin API version {@code plugin.requires} is checked against
   * @param check admits each factory a jar declares
   */
  public JarLoader(Path pluginsDir, String apiVersion, FactoryCheck check) {
    this.pluginsDir = requireNonNull(pluginsDir, "pluginsDir");
    this.apiVersion = requireNonNull(apiVersion, "apiVersion");
    this.check = requireNonNull(check, "check");
  }

  /**
   * Loads and starts the plugin of a staged jar. The staged copy is not deleted, even on failure.
   *
   * @param source the jar in the plugins directory, to name the plugin when its descriptor cannot
   *     be read
   * @param staged the staged copy to load
   * @return the started plugin, or why it failed
   */
  public JarLoad load(Path source, Path staged) {
    KernelPluginManager manager = new KernelPluginManager(pluginsDir, apiVersion);
    String id;
    try {
      id = manager.loadPlugin(staged);
    } catch (RuntimeException | LinkageError e) {
      return new JarLoad.Failed(
          idFromFileName(source), "", "", describeLoadFailure(staged, e), List.of());
    }
    PluginWrapper wrapper = manager.getPlugin(id);
    try {
      manager.startPlugins();
    } catch (RuntimeException e) {
      log.debug("starting plugin {} failed", id, e);
    }
    PluginDescriptor d = wrapper.getDescriptor();
    String requires = d.getRequires() == null ? "" : d.getRequires();
    String version = d.getVersion() == null ? "" : d.getVersion();
    List<String> declared = new ArrayList<>();
    Map<String, FilterFactory<?>> own = new LinkedHashMap<>();
    String reason = startFailure(manager, wrapper);
    if (reason == null) {
      reason = discover(manager, wrapper, own, declared);
    }
    if (reason != null) {
      own.values().forEach(check::forget);
      PluginJar.release(manager, id);
      return new JarLoad.Failed(id, version, requires, reason, declared);
    }
    return new JarLoad.Started(
        new PluginJar(manager, staged, id, version, requires, Collections.unmodifiableMap(own)));
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

  /**
   * Creates and admits the plugin's factories into {@code own}; returns a failure reason or null.
   */
  private String discover(
      KernelPluginManager manager,
      PluginWrapper wrapper,
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
        name = check.admit(factory);
      } catch (RuntimeException | LinkageError e) {
        return "filter factory " + className + ": " + rootMessage(e);
      }
      declared.add(name);
      if (own.containsKey(name)) {
        return "filter name '"
            + name
            + "' of "
            + className
            + " is declared twice in the plugin (expected: unique filter names)";
      }
      own.put(name, factory);
    }
    return null;
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

  /**
   * The name a jar's plugin goes by when its descriptor cannot be read.
   *
   * @param path the jar
   * @return its file name without {@code .jar} or {@code .zip}
   */
  public static String idFromFileName(Path path) {
    String name = path.getFileName().toString();
    for (String suffix : ARCHIVE_SUFFIXES) {
      if (name.endsWith(suffix)) {
        return name.substring(0, name.length() - suffix.length());
      }
    }
    return name;
  }
}
