package com.example.hello;

import io.plugmesh.filters.ConfigNode;
import io.plugmesh.filters.Filter;
import io.plugmesh.filters.FilterFactory;
import io.plugmesh.filters.FilterServices;
import io.plugmesh.filters.Phase;
import org.pf4j.Extension;

/** The hello plugin: named {@code hello} in route config. */
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
  public String configSchema() {
    return """
{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "additionalProperties": false,
  "required": ["greeting"],
  "properties": {
    "greeting": {"type": "string", "minLength": 1, "maxLength": 200,
                 "description": "The text sent in the header and as the answer."},
    "header": {"type": "string", "pattern": "^[a-z0-9-]{1,64}$", "default": "x-hello",
               "description": "The header carrying the greeting, upstream and back."},
    "answerPath": {"type": "string", "pattern": "^/",
                   "description": "A path answered by the plugin itself; none by default."}
  }
}""";
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
