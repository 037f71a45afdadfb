package io.plugmesh.pluginruntime.jar;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.pf4j.CompoundPluginLoader;
import org.pf4j.DefaultPluginLoader;
import org.pf4j.DefaultPluginManager;
import org.pf4j.DevelopmentPluginLoader;
import org.pf4j.ExtensionWrapper;
import org.pf4j.JarPluginLoader;
import org.pf4j.PluginClassLoader;
import org.pf4j.PluginDescriptor;
import org.pf4j.PluginLoader;
import org.pf4j.PluginRuntimeException;
import org.pf4j.PluginWrapper;

/**
 * PF4J's default manager with the kernel's class loader, plugin-by-plugin failure recording
 * (unreadable jars, incompatible {@code plugin.requires}) and no abort on one bad plugin.
 */
final class KernelPluginManager extends DefaultPluginManager {

  private final Map<Path, Throwable> loadFailures = new LinkedHashMap<>();
  private final Map<String, String> invalid = new ConcurrentHashMap<>();

  KernelPluginManager(Path pluginsDir, String apiVersion) {
    super(pluginsDir);
    setSystemVersion(apiVersion);
    setResolveRecoveryStrategy(ResolveRecoveryStrategy.IGNORE_PLUGIN_AND_CONTINUE);
  }

  @Override
  protected PluginLoader createPluginLoader() {
    ClassLoader parent = KernelPluginManager.class.getClassLoader();
    return new CompoundPluginLoader()
        .add(
            new DevelopmentPluginLoader(this) {
              @Override
              protected PluginClassLoader createPluginClassLoader(
                  Path pluginPath, PluginDescriptor descriptor) {
                return new KernelPluginClassLoader(pluginManager, descriptor, parent);
              }
            },
            this::isDevelopment)
        .add(
            new JarPluginLoader(this) {
              @Override
              protected PluginClassLoader createPluginClassLoader(
                  Path pluginPath, PluginDescriptor descriptor) {
                return new KernelPluginClassLoader(pluginManager, descriptor, parent);
              }
            },
            this::isNotDevelopment)
        .add(
            new DefaultPluginLoader(this) {
              @Override
              protected PluginClassLoader createPluginClassLoader(
                  Path pluginPath, PluginDescriptor descriptor) {
                return new KernelPluginClassLoader(pluginManager, descriptor, parent);
              }
            },
            this::isNotDevelopment);
  }

  @Override
  protected PluginWrapper loadPluginFromPath(Path pluginPath) {
    try {
      return super.loadPluginFromPath(pluginPath);
    } catch (RuntimeException | LinkageError e) {
      loadFailures.put(pluginPath, e);
      // PF4J logs and skips a PluginRuntimeException and goes on with the next plugin.
      throw e instanceof PluginRuntimeException p
          ? p
          : new PluginRuntimeException(e, "Cannot load plugin '{}'", pluginPath);
    }
  }

  @Override
  protected boolean isPluginValid(PluginWrapper plugin) {
    String requires = plugin.getDescriptor().getRequires();
    try {
      if (super.isPluginValid(plugin)) {
        return true;
      }
      invalid.put(
          plugin.getPluginId(),
          "requires plugin API '"
              + requires
              + "' (expected: a range that includes this kernel's plugin API "
              + getSystemVersion()
              + ")");
    } catch (RuntimeException e) {
      invalid.put(
          plugin.getPluginId(),
          "plugin.requires '" + requires + "' is not a version range (" + e.getMessage() + ")");
    }
    return false;
  }

  /** Paths PF4J could not load at all, with the error. */
  Map<Path, Throwable> loadFailures() {
    return loadFailures;
  }

  /** Why a loaded plugin was refused by its {@code plugin.requires}, if it was. */
  String invalidReason(String pluginId) {
    return invalid.get(pluginId);
  }

  /** The filter factory extensions a started plugin lists, not yet instantiated. */
  @SuppressWarnings({"rawtypes", "unchecked"})
  List<ExtensionWrapper<?>> filterFactoryExtensions(String pluginId) {
    List found = extensionFinder.find(io.plugmesh.filters.FilterFactory.class, pluginId);
    return (List<ExtensionWrapper<?>>) found;
  }
}
