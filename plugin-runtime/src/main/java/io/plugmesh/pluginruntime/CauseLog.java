package io.plugmesh.pluginruntime;

import static java.util.Objects.requireNonNull;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import org.slf4j.Logger;

/**
 * Warnings about failures a client can cause at will (a throwing filter hit by every request, a
 * Rapid Reset flood on every connection), rate-limited per cause so no one can fill the log. A
 * cause is a site (where it is logged) plus the exception class. Per cause: the first occurrence is
 * logged with its stack trace, later ones as one line without it, at most {@link
 * #DEFAULT_LINES_PER_INTERVAL} per {@link #DEFAULT_INTERVAL}; the next line after a suppressed
 * stretch says how many similar lines were suppressed. Every occurrence is counted in {@code
 * <prefix>_log_causes_total{cause}}, every line held back in {@code
 * <prefix>_log_suppressed_total{cause}}. At most {@link #MAX_CAUSES} causes are told apart (and
 * labelled); the rest share the cause {@value #OTHER}. Thread-safe.
 */
public final class CauseLog {
  /** Lines per cause and interval. */
  public static final int DEFAULT_LINES_PER_INTERVAL = 5;

  /** The interval the lines of a cause are counted over. */
  public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(10);

  /** Causes told apart; bounds the memory and the metric labels. */
  public static final int MAX_CAUSES = 256;

  /** How deep {@link #rootClass} follows the causes of an exception. */
  static final int MAX_CAUSE_DEPTH = 8;

  /** The cause of every occurrence beyond {@link #MAX_CAUSES}. */
  public static final String OTHER = "other";

  private final MeterRegistry registry;
  private final String prefix;
  private final int linesPerInterval;
  private final long intervalNanos;
  private final LongSupplier nanoTime;
  private final Map<String, Cause> causes = new ConcurrentHashMap<>();

  /**
   * A log with the default rate.
   *
   * @param registry where the counters are registered
   * @param metricsPrefix the metric name prefix, e.g. {@code mesh}
   */
  public CauseLog(MeterRegistry registry, String metricsPrefix) {
    this(registry, metricsPrefix, DEFAULT_LINES_PER_INTERVAL, DEFAULT_INTERVAL, System::nanoTime);
  }

  CauseLog(
      MeterRegistry registry,
      String metricsPrefix,
      int linesPerInterval,
      Duration interval,
      LongSupplier nanoTime) {
    this.registry = requireNonNull(registry, "registry");
    this.prefix = requireNonNull(metricsPrefix, "metricsPrefix");
    if (linesPerInterval <= 0) {
      throw new IllegalArgumentException(
          "linesPerInterval: " + linesPerInterval + " (expected: > 0)");
    }
    if (interval.isNegative() || interval.isZero()) {
      throw new IllegalArgumentException("interval: " + interval + " (expected: > 0)");
    }
    this.linesPerInterval = linesPerInterval;
    this.intervalNanos = interval.toNanos();
    this.nanoTime = requireNonNull(nanoTime, "nanoTime");
  }

  /**
   * Logs a warning about {@code error} at {@code site}, if the cause's rate allows.
   *
   * @param logger the logger to write to
   * @param site where it happens, e.g. {@code plugin-failure} (a short, fixed word: it is a label)
   * @param error the failure; its class tells causes apart
   * @param format an SLF4J message format
   * @param args the format's arguments
   */
  public void warn(Logger logger, String site, Throwable error, String format, Object... args) {
    Cause cause = cause(site + ":" + rootClass(error));
    cause.occurred.increment();
    long now = nanoTime.getAsLong();
    boolean trace;
    long suppressed;
    synchronized (cause) {
      if (now - cause.windowStart >= intervalNanos) {
        cause.windowStart = now;
        cause.used = 0;
      }
      if (cause.used >= linesPerInterval) {
        cause.heldBack++;
        cause.suppressed.increment();
        return;
      }
      cause.used++;
      trace = !cause.traced;
      cause.traced = true;
      suppressed = cause.heldBack;
      cause.heldBack = 0;
    }
    if (!logger.isWarnEnabled()) {
      return;
    }
    String suffix = suppressed > 0 ? " (suppressed " + suppressed + " similar)" : "";
    int n = args.length;
    Object[] all = Arrays.copyOf(args, n + (trace && error != null ? 2 : 1));
    all[n] = suffix;
    if (trace && error != null) {
      all[n + 1] = error;
    }
    logger.warn(format + "{}", all);
  }

  /** The class of the innermost cause (wrappers such as a filter failure say little). */
  static String rootClass(Throwable error) {
    if (error == null) {
      return "none";
    }
    Throwable t = error;
    for (int depth = 0; depth < MAX_CAUSE_DEPTH && t.getCause() != null; depth++) {
      t = t.getCause();
    }
    return t.getClass().getName();
  }

  private Cause cause(String key) {
    Cause c = causes.get(key);
    if (c != null) {
      return c;
    }
    if (causes.size() >= MAX_CAUSES) {
      return causes.computeIfAbsent(OTHER, this::newCause);
    }
    return causes.computeIfAbsent(key, this::newCause);
  }

  private Cause newCause(String key) {
    return new Cause(
        nanoTime.getAsLong(),
        Counter.builder(prefix + ".log.causes")
            .description("Warnings about client-caused failures, logged or not, by cause")
            .tag("cause", key)
            .register(registry),
        Counter.builder(prefix + ".log.suppressed")
            .description("Warnings held back by the per-cause log rate limit, by cause")
            .tag("cause", key)
            .register(registry));
  }

  /** The rate state and counters of one cause. */
  private static final class Cause {
    final Counter occurred;
    final Counter suppressed;
    long windowStart;
    int used;
    long heldBack;
    boolean traced;

    Cause(long now, Counter occurred, Counter suppressed) {
      this.windowStart = now;
      this.occurred = occurred;
      this.suppressed = suppressed;
    }
  }
}
