package io.plugmesh.plugins.ratelimit;

import static java.util.Objects.requireNonNull;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.TimeMeter;
import io.github.bucket4j.local.LocalBucketBuilder;
import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * In-process token buckets, one per key and limit set: at most {@code maxKeys} of them, the least
 * recently used going first, and a bucket unused for {@code idleTimeout} forgotten. Taking a token
 * is a lock-free compare-and-set, so concurrent requests never take more tokens than the bucket
 * holds.
 */
final class LocalBuckets {
  private final Cache<String, Bucket> buckets;
  private final TimeMeter time;

  /**
   * Creates the buckets.
   *
   * @param maxKeys the most buckets kept
   * @param idleTimeout how long an unused bucket is kept
   * @param nanoTime the monotonic time source (virtual in tests)
   */
  LocalBuckets(int maxKeys, Duration idleTimeout, LongSupplier nanoTime) {
    requireNonNull(idleTimeout, "idleTimeout");
    requireNonNull(nanoTime, "nanoTime");
    this.time =
        new TimeMeter() {
          @Override
          public long currentTimeNanos() {
            return nanoTime.getAsLong();
          }

          @Override
          public boolean isWallClockBased() {
            return false;
          }
        };
    this.buckets =
        Caffeine.newBuilder()
            .maximumSize(maxKeys)
            .expireAfterAccess(idleTimeout)
            .ticker(nanoTime::getAsLong)
            .executor(Runnable::run)
            .build();
  }

  /**
   * Takes one token from a key's bucket.
   *
   * @param key the key
   * @param limits the bucket's limits
   * @return the outcome
   */
  Outcome tryConsume(String key, LimitSet limits) {
    Bucket bucket = buckets.get(limits.id() + "|" + key, k -> newBucket(limits));
    return Outcome.of(limits, bucket.asVerbose().tryConsumeAndReturnRemaining(1));
  }

  private Bucket newBucket(LimitSet limits) {
    LocalBucketBuilder builder = Bucket.builder().withCustomTimePrecision(time);
    for (Limit limit : limits.limits()) {
      builder.addLimit(limit.toBandwidth());
    }
    return builder.build();
  }

  /**
   * How many buckets are kept now (after pending evictions).
   *
   * @return the bucket count
   */
  long size() {
    buckets.cleanUp();
    return buckets.estimatedSize();
  }
}
