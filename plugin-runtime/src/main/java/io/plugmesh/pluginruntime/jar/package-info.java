/**
 * Plugin jars, from file to started PF4J plugin: {@link
 * io.plugmesh.pluginruntime.jar.PluginDirectory} lists the plugins directory and stages private
 * copies of its jars, {@link io.plugmesh.pluginruntime.jar.JarLoader} loads one staged jar into a
 * PF4J manager of its own (with the kernel's class loader, {@code KernelPluginClassLoader}) and
 * creates its filter factories, and a {@link io.plugmesh.pluginruntime.jar.PluginJar} is one such
 * loaded jar until it is unloaded.
 *
 * <p>Used by {@link io.plugmesh.pluginruntime.PluginHost}, which decides which loaded jars are
 * published, reloads them and retires the versions they replace; the proxy, the control service and
 * the CLI go through the host, not through this package.
 */
package io.plugmesh.pluginruntime.jar;
