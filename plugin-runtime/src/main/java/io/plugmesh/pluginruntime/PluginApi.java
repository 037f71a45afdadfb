package io.plugmesh.pluginruntime;

/**
 * The filter plugin API this runtime offers; plugins declare a range of it in {@code
 * Plugin-Requires}.
 */
public final class PluginApi {
  /**
   * The plugin API version the proxy, the control service and plugmeshctl offer. Plugin jars are
   * refused when their {@code Plugin-Requires} range does not contain it.
   */
  public static final String VERSION = "0.2.0";

  private PluginApi() {}
}
