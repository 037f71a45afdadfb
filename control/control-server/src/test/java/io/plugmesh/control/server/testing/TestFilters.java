package io.plugmesh.control.server.testing;

import io.plugmesh.filters.ConfigException;
import io.plugmesh.filters.ConfigNode;
import io.plugmesh.filters.Filter;
import io.plugmesh.filters.FilterFactory;
import io.plugmesh.filters.FilterServices;
import io.plugmesh.filters.HeadersFilter;
import io.plugmesh.filters.Phase;
import io.plugmesh.filters.ProxyResponse;
import io.plugmesh.filters.RequestDecision;
import java.util.List;

/** Built-in filters for control tests. */
public final class TestFilters {
  private TestFilters() {}

  /**
   * {@code tag}: answers 200 with {@code tag=<value>}. The schema wants a non-empty string; the
   * parser also rejects values starting with {@code bad} (a rule only the proxy knows).
   */
  public static final class Tag implements FilterFactory<String> {
    @Override
    public String name() {
      return "tag";
    }

    @Override
    public Phase phase() {
      return Phase.CUSTOM;
    }

    @Override
    public String configSchema() {
      return """
          {"type": "object", "additionalProperties": false, "required": ["value"],
           "properties": {"value": {"type": "string", "minLength": 1},
                          "note": {"type": "string", "default": "none"}}}""";
    }

    @Override
    public String parseConfig(ConfigNode config) {
      String value = config.string("value");
      if (value.startsWith("bad")) {
        throw new ConfigException("value", "'" + value + "' (expected: not starting with 'bad')");
      }
      return value;
    }

    @Override
    public Filter create(String value, FilterServices services) {
      return (HeadersFilter)
          request -> RequestDecision.respond(ProxyResponse.of(200, "tag=" + value));
    }
  }

  /** A pass-through filter of a given name and phase with an empty-object schema. */
  public static final class Pass implements FilterFactory<Object> {
    private final String name;
    private final Phase phase;

    /**
     * Creates it.
     *
     * @param name the filter name
     * @param phase the phase
     */
    public Pass(String name, Phase phase) {
      this.name = name;
      this.phase = phase;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public Phase phase() {
      return phase;
    }

    @Override
    public String configSchema() {
      return "{\"type\": \"object\"}";
    }

    @Override
    public Object parseConfig(ConfigNode config) {
      return "";
    }

    @Override
    public Filter create(Object config, FilterServices services) {
      return (HeadersFilter) request -> RequestDecision.proceed();
    }
  }

  /**
   * tag, authn-test (AUTHN) and authz-test (AUTHZ).
   *
   * @return the factories
   */
  public static List<FilterFactory<?>> all() {
    return List.of(
        new Tag(), new Pass("authn-test", Phase.AUTHN), new Pass("authz-test", Phase.AUTHZ));
  }
}
