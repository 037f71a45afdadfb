package io.plugmesh.control.server.validate;

import io.plugmesh.control.api.v1.PluginDescriptor;
import io.plugmesh.filters.ConfigNode;
import io.plugmesh.filters.Filter;
import io.plugmesh.filters.FilterFactory;
import io.plugmesh.filters.FilterServices;
import io.plugmesh.filters.Phase;
import java.util.Locale;

/**
 * A filter factory made from a plugin descriptor, so the kernel's chain builder checks config
 * against the plugin's schema and phase without the plugin's code. Its filters pass requests on.
 */
final class DescriptorFactory implements FilterFactory<Object> {
  private final PluginDescriptor descriptor;
  private final Phase phase;

  DescriptorFactory(PluginDescriptor descriptor) {
    this.descriptor = descriptor;
    Phase p;
    try {
      p = Phase.valueOf(descriptor.getPhase().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      p = Phase.CUSTOM;
    }
    this.phase = p;
  }

  @Override
  public String name() {
    return descriptor.getName();
  }

  @Override
  public Phase phase() {
    return phase;
  }

  @Override
  public String configSchema() {
    String schema = descriptor.getConfigSchema();
    return schema.isBlank() ? "{}" : schema;
  }

  @Override
  public Object parseConfig(ConfigNode config) {
    return config.raw() == null ? "" : config.raw();
  }

  @Override
  public Filter create(Object config, FilterServices services) {
    return (request, chain) -> chain.proceed(request);
  }
}
