package io.plugmesh.plugins.rbac;

import io.plugmesh.filters.ConfigNode;
import io.plugmesh.filters.Filter;
import io.plugmesh.filters.FilterFactory;
import io.plugmesh.filters.FilterServices;
import io.plugmesh.filters.Phase;
import org.pf4j.Extension;

/**
 * The {@code rbac} plugin: allow and deny rules on who calls (JWT claims, mTLS peer identity,
 * client address) and what they ask for (method, normalized path, headers). See the module README.
 */
@Extension
public final class RbacFilterFactory implements FilterFactory<RbacConfig> {

  /** The plugin name in route config. */
  public static final String NAME = "rbac";

  /** Creates the factory. */
  public RbacFilterFactory() {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Phase phase() {
    return Phase.AUTHZ;
  }

  @Override
  public RbacConfig parseConfig(ConfigNode config) {
    return RbacConfig.parse(config);
  }

  @Override
  public Filter create(RbacConfig config, FilterServices services) {
    return new RbacFilter(config, services);
  }
}
