package io.plugmesh.filters;

/**
 * Plugin metrics, exported by the proxy in Prometheus form as {@code <prefix>_plugin_<name>} with
 * the labels {@code route} and {@code plugin} plus the tags given. Tag values must be of low
 * cardinality (never a user id or path).
 */
public interface FilterMetrics {

  /**
   * A monotonic counter, exported as {@code <prefix>_plugin_<name>_total}.
   *
   * @param name the metric name in snake_case, e.g. {@code jwks_fetches}
   * @param tags alternating tag keys and values
   * @return the counter
   */
  Counter counter(String name, String... tags);

  /**
   * A duration histogram, exported as {@code <prefix>_plugin_<name>_seconds}.
   *
   * @param name the metric name in snake_case, e.g. {@code jwks_fetch}
   * @param tags alternating tag keys and values
   * @return the timer
   */
  Timer timer(String name, String... tags);

  /** A monotonic counter. */
  interface Counter {
    /** Adds one. */
    default void increment() {
      increment(1);
    }

    /**
     * Adds {@code amount}.
     *
     * @param amount a non-negative amount
     */
    void increment(long amount);
  }

  /** Records durations. */
  interface Timer {
    /**
     * Records one duration.
     *
     * @param nanos the duration in nanoseconds
     */
    void recordNanos(long nanos);
  }
}
