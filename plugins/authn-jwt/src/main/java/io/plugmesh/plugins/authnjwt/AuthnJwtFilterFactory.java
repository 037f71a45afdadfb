package io.plugmesh.plugins.authnjwt;

import static java.util.Objects.requireNonNull;

import io.plugmesh.filters.ConfigNode;
import io.plugmesh.filters.Filter;
import io.plugmesh.filters.FilterFactory;
import io.plugmesh.filters.FilterServices;
import io.plugmesh.filters.Phase;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.pf4j.Extension;

/**
 * The {@code authn-jwt} plugin: JWT authentication with JWKS fetched, cached and rotated, or keys
 * given inline. See the module README for the configuration.
 */
@Extension
public final class AuthnJwtFilterFactory implements FilterFactory<AuthnJwtConfig> {

  /** The plugin name in route config. */
  public static final String NAME = "authn-jwt";

  private final Function<FilterServices, JwksFetcher> fetchers;

  /** The factory the proxy loads: fetches JWK sets over HTTP(S). */
  public AuthnJwtFilterFactory() {
    this(
        services ->
            services.shared(
                "jwks-fetcher",
                JwksFetcher.class,
                () -> new HttpJwksFetcher(services.blockingExecutor())));
  }

  /** A factory with another way to fetch JWK sets, for tests. */
  AuthnJwtFilterFactory(Function<FilterServices, JwksFetcher> fetchers) {
    this.fetchers = requireNonNull(fetchers, "fetchers");
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Phase phase() {
    return Phase.AUTHN;
  }

  @Override
  public AuthnJwtConfig parseConfig(ConfigNode config) {
    return AuthnJwtConfig.parse(config);
  }

  /**
   * Creates the route's filter. JWKS caches are shared by URI across routes and config versions, so
   * a config push does not refetch keys; the first use of a URI starts its fetch now.
   */
  @Override
  public Filter create(AuthnJwtConfig config, FilterServices services) {
    List<Provider> providers = new ArrayList<>();
    for (ProviderConfig provider : config.providers()) {
      KeySource keys;
      if (provider.inlineKeys() != null) {
        keys = new KeySource.Static(provider.inlineKeys());
      } else {
        JwksCache.Settings settings = JwksCache.Settings.of(provider);
        JwksCache cache =
            services.shared(
                "jwks:" + provider.jwksUri(),
                JwksCache.class,
                () ->
                    new JwksCache(
                        provider.jwksUri(),
                        provider.issuer(),
                        settings,
                        fetchers.apply(services),
                        services));
        cache.attach(settings);
        keys = cache;
      }
      providers.add(new Provider(provider, keys));
    }
    return new AuthnJwtFilter(config, providers, services);
  }
}
