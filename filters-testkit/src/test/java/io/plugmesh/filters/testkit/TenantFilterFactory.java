package io.plugmesh.filters.testkit;

import io.plugmesh.filters.ConfigNode;
import io.plugmesh.filters.Filter;
import io.plugmesh.filters.FilterFactory;
import io.plugmesh.filters.FilterServices;
import io.plugmesh.filters.HeadersFilter;
import io.plugmesh.filters.Phase;
import io.plugmesh.filters.ProxyResponse;
import io.plugmesh.filters.RequestDecision;
import io.plugmesh.filters.advanced.ResponseFlag;

/** A plugin as an author would write it: answers 401 when a header is missing. */
final class TenantFilterFactory implements FilterFactory<TenantFilterFactory.Config> {

  record Config(String header, int minLength) {}

  @Override
  public String name() {
    return "tenant";
  }

  @Override
  public Phase phase() {
    return Phase.AUTHN;
  }

  @Override
  public String configSchema() {
    return """
        {"type": "object", "required": ["header"], "additionalProperties": false,
         "properties": {
           "header": {"type": "string", "minLength": 1},
           "minLength": {"type": "integer", "minimum": 1}}}""";
  }

  @Override
  public Config parseConfig(ConfigNode config) {
    String header = config.string("header");
    if (!header.equals(header.toLowerCase(java.util.Locale.ROOT))) {
      throw config.get("header").invalid("'" + header + "' (expected: lower case)");
    }
    return new Config(header, config.integer("minLength", 1));
  }

  @Override
  public Filter create(Config config, FilterServices services) {
    var denied = services.metrics().counter("denied", "reason", "missing_header");
    return (HeadersFilter)
        request -> {
          String value = request.headers().get(config.header());
          if (value == null || value.length() < config.minLength()) {
            denied.increment();
            services.logger().log(System.Logger.Level.INFO, "denied {0}", request.path());
            request.context().addResponseFlag(ResponseFlag.UNAUTHORIZED);
            return RequestDecision.respond(ProxyResponse.of(401, "tenant required\n"));
          }
          request.headers().set("x-tenant-checked", "true");
          return RequestDecision.proceed();
        };
  }
}
