package io.plugmesh.plugins.ratelimit;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * The local buckets of every route, shared by the filters of all config versions (through {@link
 * io.plugmesh.filters.FilterServices#shared}) so a new config version keeps the state of limits
 * that did not change.
 */
final class LocalBucketStore {

  /** The most routes (and fallback scopes) whose buckets are kept: 4,096. */
  static final int MAX_SCOPES = 4_096;

  /** The {@link io.plugmesh.filters.FilterServices#shared} key of the store. */
  static final String SHARED_KEY = "local-buckets";

  private final Cache<String, LocalBuckets> scopes =
      Caffeine.newBuilder().maximumSize(MAX_SCOPES).executor(Runnable::run).build();

  /**
   * The buckets of one scope (a route, or a route's Redis fallback).
   *
   * @param scope the scope name
   * @param maxKeys the key bound
   * @param idleTimeout the idle timeout
   * @param nanoTime the time source
   * @return the buckets, the same object for the same scope and bounds
   */
  LocalBuckets buckets(String scope, int maxKeys, Duration idleTimeout, LongSupplier nanoTime) {
    return scopes.get(
        scope + "|" + maxKeys + "|" + idleTimeout.toNanos(),
        k -> new LocalBuckets(maxKeys, idleTimeout, nanoTime));
  }
}
