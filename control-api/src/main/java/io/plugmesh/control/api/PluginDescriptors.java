package io.plugmesh.control.api;

import io.plugmesh.control.api.v1.PluginDescriptor;
import io.plugmesh.filters.FilterFactory;
import io.plugmesh.pluginruntime.PluginHost;
import io.plugmesh.pluginruntime.PluginInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The filters a plugin host can run, as the protocol describes them: what a proxy sends in its
 * hello, and what the control service and plugmeshctl validate against.
 */
public final class PluginDescriptors {
  private PluginDescriptors() {}

  /**
   * Each available filter's name, version, phase, schema and providing plugin.
   *
   * @param host the plugin host
   * @return one descriptor per available filter
   */
  public static List<PluginDescriptor> of(PluginHost host) {
    List<PluginDescriptor> out = new ArrayList<>();
    for (String name : host.filterNames()) {
      Optional<FilterFactory<?>> factory = host.factory(name);
      if (factory.isEmpty()) {
        continue;
      }
      PluginInfo info = host.pluginFor(name).orElse(null);
      out.add(
          PluginDescriptor.newBuilder()
              .setName(name)
              .setVersion(info == null ? host.apiVersion() : info.version())
              .setPluginId(info == null ? name : info.id())
              .setPhase(factory.get().phase().name())
              .setConfigSchema(factory.get().configSchema())
              .build());
    }
    return out;
  }
}
