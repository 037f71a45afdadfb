package com.example.hello;

import io.plugmesh.filters.ConfigNode;
import io.plugmesh.filters.Filter;
import io.plugmesh.filters.FilterFactory;
import io.plugmesh.filters.FilterServices;
import io.plugmesh.filters.Phase;
import org.pf4j.Extension;

/**
 * The hello plugin: named {@code hello} in route config. Its config schema is {@code
 * hello.schema.json} beside this class (in {@code src/main/resources/com/example/hello/}).
 */
@Extension
public final class HelloFilterFactory implements FilterFactory<HelloConfig> {

  @Override
  public String name() {
    return "hello";
  }

  @Override
  public Phase phase() {
    return Phase.CUSTOM;
  }

  @Override
  public HelloConfig parseConfig(ConfigNode config) {
    return HelloConfig.parse(config);
  }

  @Override
  public Filter create(HelloConfig config, FilterServices services) {
    return new HelloFilter(config, services.metrics().counter("answered"));
  }
}
