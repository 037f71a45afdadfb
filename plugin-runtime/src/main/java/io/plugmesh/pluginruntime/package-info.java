/**
 * The kernel's plugin host and chain builder: loads filter plugins (PF4J jars) next to the built-in
 * filters, validates each route's plugin entries against the factories' JSON Schemas, and builds
 * the per-route chains with their services, metrics and logs. Start with {@link
 * io.plugmesh.pluginruntime.PluginHost} and {@link io.plugmesh.pluginruntime.ChainBuilder}.
 *
 * <p>Behind the host's facade, one class per role: {@code PluginRegistry} holds the live factories
 * routes are built from, {@code PluginReloader} is the reload transaction (with {@code
 * JarConflicts} deciding which version of a plugin and which plugin of a filter name is published),
 * {@code Retirement} unloads replaced versions once their last chain is gone, and {@code
 * FactoryAdmission} holds the rules every factory meets. How a jar file becomes a started plugin
 * lives in {@link io.plugmesh.pluginruntime.jar}.
 */
package io.plugmesh.pluginruntime;
