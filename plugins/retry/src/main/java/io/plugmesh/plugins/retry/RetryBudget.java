package io.plugmesh.plugins.retry;

import static java.util.Objects.requireNonNull;

import java.util.Arrays;

/**
 * A route's retry budget over a sliding window: a retry is allowed while the retries in the window
 * stay below {@code minRetries + percent/100 * requests in the window}. The window is kept as
 * {@value #BUCKETS} buckets, so its memory is fixed. Thread-safe; every call is a few array
 * operations under the budget's own lock.
 */
final class RetryBudget {

  /** How many buckets the window is split into. */
  static final int BUCKETS = 10;

  private final double ratio;
  private final int minRetries;
  private final long bucketNanos;
  private final long[] requests = new long[BUCKETS];
  private final long[] retries = new long[BUCKETS];
  private long bucket = Long.MIN_VALUE;

  /**
   * Creates an empty budget.
   *
   * @param config the budget config
   */
  RetryBudget(RetryConfig.Budget config) {
    requireNonNull(config, "config");
    this.ratio = config.percent() / 100.0;
    this.minRetries = config.minRetries();
    this.bucketNanos = Math.max(1, config.window().toNanos() / BUCKETS);
  }

  /**
   * Counts a request.
   *
   * @param nanoTime the monotonic time now
   */
  synchronized void onRequest(long nanoTime) {
    requests[roll(nanoTime)]++;
  }

  /**
   * Takes one retry from the budget if there is room.
   *
   * @param nanoTime the monotonic time now
   * @return true if the retry may go ahead (and was counted)
   */
  synchronized boolean tryRetry(long nanoTime) {
    int current = roll(nanoTime);
    long windowRequests = 0;
    long windowRetries = 0;
    for (int i = 0; i < BUCKETS; i++) {
      windowRequests += requests[i];
      windowRetries += retries[i];
    }
    if (windowRetries >= minRetries + ratio * windowRequests) {
      return false;
    }
    retries[current]++;
    return true;
  }

  /** Moves the window to {@code nanoTime}, clearing buckets that fell out; returns the index. */
  private int roll(long nanoTime) {
    long now = Math.floorDiv(nanoTime, bucketNanos);
    if (bucket == Long.MIN_VALUE || now - bucket >= BUCKETS) {
      Arrays.fill(requests, 0);
      Arrays.fill(retries, 0);
    } else {
      for (long b = bucket + 1; b <= now; b++) {
        int i = (int) Math.floorMod(b, (long) BUCKETS);
        requests[i] = 0;
        retries[i] = 0;
      }
    }
    if (bucket == Long.MIN_VALUE || now > bucket) {
      bucket = now;
    }
    return (int) Math.floorMod(bucket, (long) BUCKETS);
  }

  @Override
  public synchronized String toString() {
    long r = 0;
    long t = 0;
    for (int i = 0; i < BUCKETS; i++) {
      r += requests[i];
      t += retries[i];
    }
    return "RetryBudget{requests=" + r + ", retries=" + t + ", min=" + minRetries + "}";
  }
}
