package io.plugmesh.plugins.ratelimit;

import java.util.concurrent.CompletableFuture;

/** Buckets shared by every proxy, answered asynchronously (Redis in production). */
interface GlobalBuckets {

  /**
   * Takes one token from a key's bucket.
   *
   * @param key the key
   * @param limits the bucket's limits
   * @return the outcome; fails when the shared store cannot answer
   */
  CompletableFuture<Outcome> tryConsume(String key, LimitSet limits);
}
