package io.plugmesh.plugins.rbac;

import io.plugmesh.filters.ConfigNode;
import io.plugmesh.filters.Filter;
import io.plugmesh.filters.FilterFactory;
import io.plugmesh.filters.FilterServices;
import io.plugmesh.filters.Phase;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import org.pf4j.Extension;

/**
 * The {@code rbac} plugin: allow and deny rules on who calls (JWT claims, mTLS peer identity,
 * client address) and what they ask for (method, normalized path, headers). See the module README.
 */
@Extension
public final class RbacFilterFactory implements FilterFactory<RbacConfig> {

  /** The plugin name in route config. */
  public static final String NAME = "rbac";

  private static final String SCHEMA = loadSchema();

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
  public String configSchema() {
    return SCHEMA;
  }

  @Override
  public RbacConfig parseConfig(ConfigNode config) {
    return RbacConfig.parse(config);
  }

  @Override
  public Filter create(RbacConfig config, FilterServices services) {
    return new RbacFilter(config, services);
  }

  private static String loadSchema() {
    try (InputStream in = RbacFilterFactory.class.getResourceAsStream("config-schema.json")) {
      if (in == null) {
        throw new IllegalStateException("config-schema.json is missing from the plugin");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
