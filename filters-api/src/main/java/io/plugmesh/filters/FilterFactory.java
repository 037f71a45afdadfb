package io.plugmesh.filters;

import io.plugmesh.filters.advanced.BodyAccess;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import org.pf4j.ExtensionPoint;

/**
 * Makes filters from configuration; the PF4J extension point the proxy discovers in plugin jars.
 *
 * <pre>{@code
 * @Extension
 * public final class TenantFilterFactory implements FilterFactory<TenantConfig> {
 *   public String name() { return "tenant"; }  // schema: com/example/tenant/tenant.schema.json
 *   public Phase phase() { return Phase.AUTHZ; }
 *   public TenantConfig parseConfig(ConfigNode config) {
 *     return new TenantConfig(config.string("header"));
 *   }
 *   public Filter create(TenantConfig config, FilterServices services) {
 *     return (HeadersFilter) request -> request.headers().contains(config.header())
 *         ? RequestDecision.proceed()
 *         : RequestDecision.respond(ProxyResponse.of(403, "missing " + config.header() + "\n"));
 *   }
 * }
 * }</pre>
 *
 * <p>The config schema lives beside the factory: a factory {@code
 * com.example.tenant.TenantFilterFactory} named {@code tenant} ships {@code
 * src/main/resources/com/example/tenant/tenant.schema.json}, which {@link #configSchema()} reads
 * from the plugin jar:
 *
 * <pre>{@code
 * {"$schema": "https://json-schema.org/draft/2020-12/schema",
 *  "type": "object", "required": ["header"], "additionalProperties": false,
 *  "properties": {"header": {"type": "string", "minLength": 1}}}
 * }</pre>
 *
 * <p>Lifecycle: the control service and the proxy validate a route's plugin config against {@link
 * #configSchema()}, then call {@link #parseConfig} (which may add checks the schema cannot
 * express), then {@link #create} once per route and config version. Filters from an older version
 * keep serving the requests that started on it.
 *
 * @param <C> the parsed configuration, ideally a record
 */
public interface FilterFactory<C> extends ExtensionPoint {

  /**
   * The stable name admins write in route config, e.g. {@code authn-jwt}: lower case, digits and
   * dashes.
   *
   * @return the name
   */
  String name();

  /**
   * Where the filter belongs in a chain, used to validate the order admins write.
   *
   * @return the phase
   */
  Phase phase();

  /**
   * The JSON Schema (draft 2020-12) of this plugin's {@code config} object, as JSON text. Checked
   * by the control service before a push and by the proxy before a switch. Read when the plugin is
   * loaded or described, never per request.
   *
   * <p>By default the schema is the resource {@code <name>.schema.json} in the factory's own
   * package, read through the factory's class loader (so from the plugin's jar): for {@code
   * io.plugmesh.plugins.retry.RetryFilterFactory} named {@code retry}, {@code
   * io/plugmesh/plugins/retry/retry.schema.json}. Override this method to build the schema another
   * way, e.g. as a text block for a test double.
   *
   * @return the schema
   * @throws IllegalStateException naming the expected resource when it is missing
   * @throws UncheckedIOException when it cannot be read
   */
  default String configSchema() {
    Class<?> type = getClass();
    String resource =
        type.getPackageName().replace('.', '/')
            + (type.getPackageName().isEmpty() ? "" : "/")
            + name()
            + ".schema.json";
    try (InputStream in = type.getResourceAsStream("/" + resource)) {
      if (in == null) {
        throw new IllegalStateException(
            "filter '"
                + name()
                + "': no config schema "
                + resource
                + " (expected: that resource beside "
                + type.getName()
                + " in the plugin jar, or configSchema() overridden)");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("filter '" + name() + "': cannot read " + resource, e);
    }
  }

  /**
   * Turns validated configuration into the plugin's config type.
   *
   * @param config the {@code config} object of one route's plugin entry
   * @return the parsed config
   * @throws ConfigException naming the field and what was expected
   */
  C parseConfig(ConfigNode config);

  /**
   * Creates the filter for one route and config version. Called off the request path; may allocate,
   * must not block for long (start background work on {@link FilterServices#blockingExecutor()}).
   *
   * @param config the parsed config
   * @param services the route-scoped services
   * @return the filter
   */
  Filter create(C config, FilterServices services);

  /**
   * Whether the filter needs the request body in memory.
   *
   * @param config the parsed config
   * @return {@link BodyAccess#none()} by default
   */
  default BodyAccess bodyAccess(C config) {
    return BodyAccess.none();
  }

  /**
   * How many request-body bytes the proxy keeps so this filter may call {@link FilterChain#proceed}
   * more than once (a retry). Zero, the default, means proceed at most once. Bodies larger than the
   * limit are sent once and {@link ProxyRequest#replayable()} is false.
   *
   * @param config the parsed config
   * @return the replay buffer limit in bytes, or 0 for no replay
   */
  default int replay(C config) {
    return 0;
  }
}
