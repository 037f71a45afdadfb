package io.plugmesh.plugins.ratelimit;

import static java.util.Objects.requireNonNull;

import io.github.bucket4j.Bandwidth;
import io.plugmesh.filters.ConfigNode;
import java.time.Duration;
import java.util.Locale;

/**
 * One token bucket: up to {@code capacity} tokens, refilled by {@code tokens} every {@code per}.
 * Each request takes one token.
 *
 * @param name the policy name shown in rate-limit headers, e.g. {@code burst}
 * @param tokens tokens added per period (the sustained rate)
 * @param per the refill period
 * @param capacity the most tokens the bucket holds (the burst); at least one
 * @param refill {@code greedy} (tokens trickle in continuously) or {@code interval} (all at once at
 *     the end of each period, a fixed-window quota)
 */
public record Limit(String name, long tokens, Duration per, long capacity, Refill refill) {

  /** The largest capacity or tokens per period: 1,000,000,000. */
  public static final long MAX_TOKENS = 1_000_000_000L;

  /** The shortest refill period: 1ms. */
  public static final Duration MIN_PERIOD = Duration.ofMillis(1);

  /** The longest refill period: 366 days. */
  public static final Duration MAX_PERIOD = Duration.ofDays(366);

  /** How tokens come back. */
  public enum Refill {
    /** Continuously, a fraction of a token at a time. */
    GREEDY,
    /** All {@code tokens} at once when each period ends. */
    INTERVAL
  }

  /**
   * Creates a limit.
   *
   * @param name the policy name
   * @param tokens tokens per period, 1..{@link #MAX_TOKENS}
   * @param per the period, {@link #MIN_PERIOD}..{@link #MAX_PERIOD}
   * @param capacity the burst, 1..{@link #MAX_TOKENS}
   * @param refill the refill style
   */
  public Limit {
    requireNonNull(name, "name");
    requireNonNull(per, "per");
    requireNonNull(refill, "refill");
    if (tokens < 1 || tokens > MAX_TOKENS) {
      throw new IllegalArgumentException(
          "tokens: " + tokens + " (expected: 1.." + MAX_TOKENS + ")");
    }
    if (capacity < 1 || capacity > MAX_TOKENS) {
      throw new IllegalArgumentException(
          "capacity: " + capacity + " (expected: 1.." + MAX_TOKENS + ")");
    }
    if (per.compareTo(MIN_PERIOD) < 0 || per.compareTo(MAX_PERIOD) > 0) {
      throw new IllegalArgumentException(
          "per: " + per + " (expected: " + MIN_PERIOD + ".." + MAX_PERIOD + ")");
    }
  }

  /**
   * Parses a limit object: {@code {tokens, per, capacity?, refill?, name?}}.
   *
   * @param node the object
   * @param defaultName the name when none is written
   * @return the limit
   */
  static Limit parse(ConfigNode node, String defaultName) {
    long tokens = node.get("tokens").asLong(1, MAX_TOKENS);
    Duration per = node.get("per").asDuration(MIN_PERIOD, MAX_PERIOD);
    long capacity = node.find("capacity").map(c -> c.asLong(1, MAX_TOKENS)).orElse(tokens);
    Refill refill = node.enumValue("refill", Refill.GREEDY);
    String name = node.string("name", defaultName);
    if (!RateLimitConfig.POLICY_NAME.matcher(name).matches()) {
      throw node.get("name")
          .invalid(
              "'" + name + "' (expected: letters, digits, '.', '_' or '-', at most 64 characters)");
    }
    return new Limit(name, tokens, per, capacity, refill);
  }

  /**
   * A default policy name such as {@code 10-per-1s}.
   *
   * @param tokens tokens
   * @param perText the period as written
   * @return the name
   */
  static String defaultName(long tokens, String perText) {
    return (tokens + "-per-" + perText).toLowerCase(Locale.ROOT);
  }

  /**
   * How long an emptied bucket takes to fill up again.
   *
   * @return the time to refill {@code capacity} tokens
   */
  public Duration fullRefill() {
    long periods = (capacity + tokens - 1) / tokens;
    if (refill == Refill.GREEDY) {
      return Duration.ofNanos(ceilMulDiv(capacity, per.toNanos(), tokens));
    }
    return per.multipliedBy(periods);
  }

  /**
   * How long a bucket holding {@code current} tokens takes to be full again.
   *
   * @param current the tokens in the bucket now (clamped to 0..capacity)
   * @return nanoseconds until full, 0 when already full
   */
  long nanosUntilFull(long current) {
    long missing = capacity - Math.max(0, Math.min(capacity, current));
    if (missing == 0) {
      return 0;
    }
    if (refill == Refill.GREEDY) {
      return ceilMulDiv(missing, per.toNanos(), tokens);
    }
    return per.toNanos() * ((missing + tokens - 1) / tokens);
  }

  /**
   * This limit as a bucket4j bandwidth.
   *
   * @return the bandwidth
   */
  Bandwidth toBandwidth() {
    var capacityStage = Bandwidth.builder().capacity(capacity);
    var built =
        refill == Refill.GREEDY
            ? capacityStage.refillGreedy(tokens, per)
            : capacityStage.refillIntervally(tokens, per);
    return built.id(name).build();
  }

  private static long ceilMulDiv(long a, long b, long c) {
    return java.math.BigInteger.valueOf(a)
        .multiply(java.math.BigInteger.valueOf(b))
        .add(java.math.BigInteger.valueOf(c - 1))
        .divide(java.math.BigInteger.valueOf(c))
        .min(java.math.BigInteger.valueOf(Long.MAX_VALUE))
        .longValue();
  }
}
