package io.plugmesh.config;

/** How a route runs one of its plugins. */
public enum PluginMode {
  /** The plugin's decisions take effect. */
  ENFORCE,
  /** The plugin decides, its would-be answers are counted and logged, and the request goes on. */
  SHADOW,
  /** The plugin is not in the chain. */
  OFF
}
