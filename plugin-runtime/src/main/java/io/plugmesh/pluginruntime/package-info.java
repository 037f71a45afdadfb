/**
 * The kernel's plugin host and chain builder: loads filter plugins (PF4J jars) next to the built-in
 * filters, validates each route's plugin entries against the factories' JSON Schemas, and builds
 * the per-route chains with their services, metrics and logs. Start with {@link
 * io.plugmesh.pluginruntime.PluginHost} and {@link io.plugmesh.pluginruntime.ChainBuilder}.
 */
package io.plugmesh.pluginruntime;
