package io.plugmesh.pluginruntime.jar;

import java.net.URL;
import org.pf4j.ClassLoadingStrategy;
import org.pf4j.IndexedExtensionFinder;
import org.pf4j.PluginClassLoader;
import org.pf4j.PluginDescriptor;
import org.pf4j.PluginManager;

/**
 * A plugin's class loader: parent-last for the plugin's own classes, but the filter API (like PF4J)
 * always comes from the kernel so a plugin that bundles its own copy still shares the kernel's
 * types, and the extension index is read from the plugin alone.
 */
final class KernelPluginClassLoader extends PluginClassLoader {

  /** Packages always loaded from the kernel: the filter SPI and its internal runner. */
  static final String API_PACKAGE_PREFIX = "io.plugmesh.filters.";

  /** The test kit is not part of the kernel; a plugin may bundle it. */
  private static final String TESTKIT_PACKAGE_PREFIX = "io.plugmesh.filters.testkit.";

  static {
    ClassLoader.registerAsParallelCapable();
  }

  KernelPluginClassLoader(PluginManager manager, PluginDescriptor descriptor, ClassLoader parent) {
    super(manager, descriptor, parent, ClassLoadingStrategy.PDA);
  }

  @Override
  protected boolean shouldDelegateToParent(String className) {
    return super.shouldDelegateToParent(className)
        || (className.startsWith(API_PACKAGE_PREFIX)
            && !className.startsWith(TESTKIT_PACKAGE_PREFIX));
  }

  @Override
  public URL getResource(String name) {
    if (IndexedExtensionFinder.EXTENSIONS_RESOURCE.equals(name)) {
      // Never fall back to the kernel's own index: a plugin lists its own extensions or none.
      return findResource(name);
    }
    return super.getResource(name);
  }
}
