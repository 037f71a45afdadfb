package io.plugmesh.plugins.ratelimit;

import io.plugmesh.filters.ConfigNode;
import io.plugmesh.filters.Filter;
import io.plugmesh.filters.FilterFactory;
import io.plugmesh.filters.FilterServices;
import io.plugmesh.filters.Phase;
import org.pf4j.Extension;

/**
 * The {@code ratelimit} plugin: token buckets per route and caller, kept in the proxy or shared
 * through Redis, with per-caller overrides, a failure policy for Redis outages, rate-limit headers
 * and shadow mode. See the module README for the configuration.
 */
@Extension
public final class RateLimitFilterFactory implements FilterFactory<RateLimitConfig> {

  /** The plugin name in route config. */
  public static final String NAME = "ratelimit";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Phase phase() {
    return Phase.RATE_LIMIT;
  }

  @Override
  public RateLimitConfig parseConfig(ConfigNode config) {
    return RateLimitConfig.parse(config);
  }

  @Override
  public Filter create(RateLimitConfig config, FilterServices services) {
    LocalBucketStore store =
        services.shared(LocalBucketStore.SHARED_KEY, LocalBucketStore.class, LocalBucketStore::new);
    String route = services.routeName();
    if (config.mode() == RateLimitConfig.Mode.LOCAL) {
      LocalBuckets local =
          store.buckets(route, config.maxKeys(), config.effectiveIdleTimeout(), services::nanoTime);
      return new RateLimitFilter(config, services, local, null);
    }
    RateLimitConfig.Redis redis = config.redis();
    LocalBuckets fallback =
        store.buckets(
            route + "|fallback",
            config.maxKeys(),
            config.effectiveIdleTimeout(),
            services::nanoTime);
    RedisConnection connection =
        services.shared(
            "redis:" + redis.uri(), RedisConnection.class, () -> RedisConnection.open(redis.uri()));
    GlobalBuckets buckets =
        new RedisBuckets(
            connection,
            redis.keyPrefix() + route + ":",
            config.maxKeys(),
            config.effectiveIdleTimeout());
    return new RateLimitFilter(config, services, fallback, buckets);
  }
}
