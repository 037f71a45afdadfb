package io.plugmesh.plugins.ratelimit;

import static java.util.Objects.requireNonNull;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.github.bucket4j.distributed.AsyncBucketProxy;
import io.github.bucket4j.distributed.proxy.AsyncProxyManager;
import io.github.bucket4j.distributed.proxy.optimization.Optimizations;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * Token buckets kept in Redis and shared by every proxy: bucket4j's compare-and-swap keeps one
 * bucket state per key, so all proxies together admit the limit once. Concurrent requests for one
 * key in this proxy are batched into one Redis round trip. Every call is asynchronous.
 */
final class RedisBuckets implements GlobalBuckets {
  private final RedisConnection connection;
  private final String prefix;
  private final Cache<String, AsyncBucketProxy> proxies;

  /**
   * Creates the buckets of one route.
   *
   * @param connection the shared connection
   * @param prefix the Redis key prefix, including the route
   * @param maxKeys the most bucket proxies kept in memory
   * @param idleTimeout how long an unused proxy is kept
   */
  RedisBuckets(RedisConnection connection, String prefix, int maxKeys, Duration idleTimeout) {
    this.connection = requireNonNull(connection, "connection");
    this.prefix = requireNonNull(prefix, "prefix");
    this.proxies =
        Caffeine.newBuilder()
            .maximumSize(maxKeys)
            .expireAfterAccess(idleTimeout)
            .executor(Runnable::run)
            .build();
  }

  @Override
  public CompletableFuture<Outcome> tryConsume(String key, LimitSet limits) {
    AsyncProxyManager<byte[]> manager = connection.proxyManager();
    if (manager != null) {
      return tryConsume(manager, key, limits);
    }
    if (!connection.firstAttempt().isDone()) {
      // A new connection (e.g. of a plugin version just loaded): wait for it, within the
      // route's timeout like any Redis call.
      return connection.firstAttempt().thenCompose(done -> tryConsumeIfConnected(key, limits));
    }
    return tryConsumeIfConnected(key, limits);
  }

  private CompletableFuture<Outcome> tryConsumeIfConnected(String key, LimitSet limits) {
    AsyncProxyManager<byte[]> manager = connection.proxyManager();
    if (manager == null) {
      return CompletableFuture.failedFuture(
          new BackendUnavailableException(
              "not connected to Redis yet"
                  + (connection.lastError() == null ? "" : ": " + connection.lastError())));
    }
    return tryConsume(manager, key, limits);
  }

  private CompletableFuture<Outcome> tryConsume(
      AsyncProxyManager<byte[]> manager, String key, LimitSet limits) {
    String redisKey = prefix + limits.id() + ":" + key;
    AsyncBucketProxy bucket =
        proxies.get(
            redisKey,
            k ->
                manager
                    .builder()
                    .withOptimization(Optimizations.batching())
                    .build(
                        k.getBytes(StandardCharsets.UTF_8),
                        () -> CompletableFuture.completedFuture(limits.toBucketConfiguration())));
    try {
      return bucket
          .asVerbose()
          .tryConsumeAndReturnRemaining(1)
          .thenApply(result -> Outcome.of(limits, result));
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }
}
