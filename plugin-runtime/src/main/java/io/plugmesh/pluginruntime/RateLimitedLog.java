package io.plugmesh.pluginruntime;

import java.util.concurrent.TimeUnit;

/** Lets at most a fixed number of log lines through per second and counts the ones it held back. */
final class RateLimitedLog {
  private static final long WINDOW_NANOS = TimeUnit.SECONDS.toNanos(1);

  private final int linesPerSecond;
  private long windowStart = System.nanoTime();
  private int used;
  private long suppressed;

  RateLimitedLog(int linesPerSecond) {
    if (linesPerSecond <= 0) {
      throw new IllegalArgumentException("linesPerSecond: " + linesPerSecond + " (expected: > 0)");
    }
    this.linesPerSecond = linesPerSecond;
  }

  /**
   * Asks to log one line.
   *
   * @return -1 if the line must be dropped, else how many lines were dropped since the last one
   */
  synchronized long acquire() {
    long now = System.nanoTime();
    if (now - windowStart >= WINDOW_NANOS) {
      windowStart = now;
      used = 0;
    }
    if (used >= linesPerSecond) {
      suppressed++;
      return -1;
    }
    used++;
    long dropped = suppressed;
    suppressed = 0;
    return dropped;
  }

  /** A suffix telling how many lines were dropped, or empty. */
  static String droppedSuffix(long dropped) {
    return dropped > 0 ? " (" + dropped + " similar lines suppressed)" : "";
  }
}
