package io.plugmesh.kernel.control;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * The control client's one reconnect backoff. After the n-th failed attempt in a row it waits
 * {@code min(cap, initial × 2^(n-1))}, ± {@link ControlClient#BACKOFF_JITTER}; the cap is {@code
 * maxBackoff}, and while the proxy has no config at all (nothing to serve) at most {@link
 * ControlClient#UNCONFIGURED_MAX_BACKOFF}. A stream that delivered config starts the count again.
 */
final class ReconnectBackoff {
  private final Duration initial;
  private final Duration max;
  private int failures;

  /**
   * A backoff from {@code initial} to {@code max}.
   *
   * @param initial the first delay
   * @param max the largest delay of a proxy that has config
   */
  ReconnectBackoff(Duration initial, Duration max) {
    this.initial = requireNonNull(initial, "initial");
    this.max = requireNonNull(max, "max");
  }

  /**
   * Counts a failed attempt and says how long to wait before the next.
   *
   * @param configured whether the proxy serves some config (from the control service or its disk)
   * @param random a number in {@code [0, 1)} that places the delay in its jitter range
   * @return the delay
   */
  Duration next(boolean configured, double random) {
    failures++;
    Duration cap =
        configured || max.compareTo(ControlClient.UNCONFIGURED_MAX_BACKOFF) <= 0
            ? max
            : ControlClient.UNCONFIGURED_MAX_BACKOFF;
    long capNanos = cap.toNanos();
    long nanos = Math.min(initial.toNanos(), capNanos);
    for (int i = 1; i < failures && nanos < capNanos; i++) {
      nanos = Math.min(nanos * 2, capNanos);
    }
    double jitter = ControlClient.BACKOFF_JITTER * (2 * random - 1);
    return Duration.ofNanos(Math.round(nanos * (1 + jitter)));
  }

  /**
   * How many attempts failed in a row.
   *
   * @return the count since the last stream that delivered config
   */
  int failures() {
    return failures;
  }

  /** Starts the count again: a stream delivered config. */
  void reset() {
    failures = 0;
  }
}
