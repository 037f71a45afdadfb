package io.plugmesh.plugins.retry;

import static java.util.Objects.requireNonNull;

import io.plugmesh.filters.ConfigNode;
import java.time.Duration;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * The retry plugin's configuration.
 *
 * @param attempts the most upstream attempts per request, the first included
 * @param retryOn the conditions that make an attempt worth repeating
 * @param retriableStatusCodes the statuses retried under {@link Condition#RETRIABLE_STATUS_CODES}
 * @param methods the methods that may be retried, upper case
 * @param perTryTimeout the deadline of each attempt, if any
 * @param backoff the wait between attempts
 * @param maxRetryAfter the longest {@code Retry-After} honoured
 * @param budget the cap on retries relative to requests
 * @param maxReplayBytes the largest request body kept for replay
 */
public record RetryConfig(
    int attempts,
    Set<Condition> retryOn,
    Set<Integer> retriableStatusCodes,
    Set<String> methods,
    Optional<Duration> perTryTimeout,
    Backoff backoff,
    Duration maxRetryAfter,
    Budget budget,
    int maxReplayBytes) {

  /** Default {@code attempts}: one retry. */
  public static final int DEFAULT_ATTEMPTS = 2;

  /** The most attempts a route may allow. */
  public static final int MAX_ATTEMPTS = 10;

  /** Default {@code retryOn}. */
  public static final Set<Condition> DEFAULT_RETRY_ON =
      Collections.unmodifiableSet(
          EnumSet.of(
              Condition.CONNECT_FAILURE,
              Condition.REFUSED_STREAM,
              Condition.RESET,
              Condition.GATEWAY_ERROR));

  /** Default {@code methods}: the idempotent ones. */
  public static final Set<String> DEFAULT_METHODS =
      Set.of("GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE");

  /** The longest duration accepted for timeouts, backoffs, {@code Retry-After} and windows. */
  public static final Duration MAX_DURATION = Duration.ofHours(1);

  /** Default {@code maxRetryAfter}. */
  public static final Duration DEFAULT_MAX_RETRY_AFTER = Duration.ofSeconds(10);

  /** Default {@code maxReplayBytes}: 64 KiB. */
  public static final int DEFAULT_MAX_REPLAY_BYTES = 64 * 1024;

  /** The largest {@code maxReplayBytes} accepted: 16 MiB. */
  public static final int MAX_REPLAY_BYTES_LIMIT = 16 * 1024 * 1024;

  /** The most entries in {@code retriableStatusCodes}. */
  public static final int MAX_STATUS_CODES = 32;

  /** What makes an attempt worth repeating; the config names are Envoy's. */
  public enum Condition {
    /** Any 5xx response, or a reset, connect failure, refused stream or timeout. */
    FIVE_XX("5xx"),
    /** A 502, 503 or 504 response, or a timeout. */
    GATEWAY_ERROR("gateway-error"),
    /** A reset or disconnect before the response head, or a timeout. */
    RESET("reset"),
    /** No connection could be made. */
    CONNECT_FAILURE("connect-failure"),
    /** The HTTP/2 upstream refused the stream (it did not process the request). */
    REFUSED_STREAM("refused-stream"),
    /** A status listed in {@code retriableStatusCodes}. */
    RETRIABLE_STATUS_CODES("retriable-status-codes"),
    /** A 409 Conflict. */
    RETRIABLE_4XX("retriable-4xx");

    private final String configName;

    Condition(String configName) {
      this.configName = configName;
    }

    /**
     * The name in config.
     *
     * @return e.g. {@code gateway-error}
     */
    public String configName() {
      return configName;
    }
  }

  /**
   * Exponential backoff with full jitter: before retry {@code n} wait a random time in {@code [0,
   * min(max, base * 2^(n-1)))}.
   *
   * @param base the first ceiling
   * @param max the largest ceiling
   */
  public record Backoff(Duration base, Duration max) {
    /** Default {@code base}. */
    public static final Duration DEFAULT_BASE = Duration.ofMillis(25);

    /** Default {@code max}: this many times {@code base}. */
    public static final int DEFAULT_MAX_FACTOR = 10;

    /** Default {@code max} with the default base. */
    public static final Duration DEFAULT_MAX = DEFAULT_BASE.multipliedBy(DEFAULT_MAX_FACTOR);

    /** The default backoff. */
    public static final Backoff DEFAULT = new Backoff(DEFAULT_BASE, DEFAULT_MAX);

    /**
     * Creates a backoff.
     *
     * @param base at least 0
     * @param max at least base, at most {@link RetryConfig#MAX_DURATION}
     */
    public Backoff {
      requireNonNull(base, "base");
      requireNonNull(max, "max");
      if (base.isNegative() || max.compareTo(base) < 0 || max.compareTo(MAX_DURATION) > 0) {
        throw new IllegalArgumentException(
            "backoff: base " + base + ", max " + max + " (expected: 0 <= base <= max <= 1h)");
      }
    }

    /**
     * The ceiling of the wait before a retry.
     *
     * @param retry the retry number, 1 for the first retry
     * @return min(max, base * 2^(retry-1)) in nanoseconds
     */
    public long ceilingNanos(int retry) {
      long ceiling = base.toNanos();
      for (int i = 1; i < retry && ceiling < max.toNanos(); i++) {
        ceiling *= 2;
      }
      return Math.min(ceiling, max.toNanos());
    }
  }

  /**
   * The retry budget: within any {@code window}, retries are at most {@code minRetries} plus {@code
   * percent} % of the requests.
   *
   * @param percent extra load allowed, 0 to 100
   * @param minRetries retries always allowed per window, so quiet routes can still retry
   * @param window the sliding window
   */
  public record Budget(double percent, int minRetries, Duration window) {
    /** Default {@code percent}. */
    public static final double DEFAULT_PERCENT = 20;

    /** Default {@code minRetries}. */
    public static final int DEFAULT_MIN_RETRIES = 10;

    /** Default {@code window}. */
    public static final Duration DEFAULT_WINDOW = Duration.ofSeconds(10);

    /** The largest {@code minRetries} accepted. */
    public static final int MAX_MIN_RETRIES = 100_000;

    /** The default budget. */
    public static final Budget DEFAULT =
        new Budget(DEFAULT_PERCENT, DEFAULT_MIN_RETRIES, DEFAULT_WINDOW);

    /**
     * Creates a budget.
     *
     * @param percent 0 to 100
     * @param minRetries 0 to {@value #MAX_MIN_RETRIES}
     * @param window 1s to 1h
     */
    public Budget {
      requireNonNull(window, "window");
      if (!(percent >= 0 && percent <= 100)) {
        throw new IllegalArgumentException("budget.percent: " + percent + " (expected: 0..100)");
      }
      if (minRetries < 0 || minRetries > MAX_MIN_RETRIES) {
        throw new IllegalArgumentException(
            "budget.minRetries: " + minRetries + " (expected: 0.." + MAX_MIN_RETRIES + ")");
      }
      if (window.compareTo(Duration.ofSeconds(1)) < 0 || window.compareTo(MAX_DURATION) > 0) {
        throw new IllegalArgumentException("budget.window: " + window + " (expected: 1s..1h)");
      }
    }
  }

  /**
   * Creates a config; see the field descriptions for ranges.
   *
   * @param attempts 1 to {@value #MAX_ATTEMPTS}
   * @param retryOn at least one condition
   * @param retriableStatusCodes non-empty exactly when retryOn holds retriable-status-codes
   * @param methods at least one method
   * @param perTryTimeout positive, at most 1h, if present
   * @param backoff the backoff
   * @param maxRetryAfter 0 to 1h
   * @param budget the budget
   * @param maxReplayBytes 1 to {@value #MAX_REPLAY_BYTES_LIMIT}
   */
  public RetryConfig {
    if (attempts < 1 || attempts > MAX_ATTEMPTS) {
      throw new IllegalArgumentException(
          "attempts: " + attempts + " (expected: 1.." + MAX_ATTEMPTS + ")");
    }
    retryOn = Collections.unmodifiableSet(EnumSet.copyOf(requireNonNull(retryOn, "retryOn")));
    retriableStatusCodes = Set.copyOf(requireNonNull(retriableStatusCodes, "codes"));
    methods = Set.copyOf(requireNonNull(methods, "methods"));
    requireNonNull(perTryTimeout, "perTryTimeout");
    requireNonNull(backoff, "backoff");
    requireNonNull(maxRetryAfter, "maxRetryAfter");
    requireNonNull(budget, "budget");
    if (retryOn.contains(Condition.RETRIABLE_STATUS_CODES) == retriableStatusCodes.isEmpty()) {
      throw new IllegalArgumentException(
          "retriableStatusCodes: "
              + retriableStatusCodes
              + " (expected: non-empty exactly when retryOn holds retriable-status-codes)");
    }
    if (methods.isEmpty()) {
      throw new IllegalArgumentException("methods: empty (expected: at least one method)");
    }
    perTryTimeout.ifPresent(t -> checkDuration("perTryTimeout", t, false));
    checkDuration("maxRetryAfter", maxRetryAfter, true);
    if (maxReplayBytes < 1 || maxReplayBytes > MAX_REPLAY_BYTES_LIMIT) {
      throw new IllegalArgumentException(
          "maxReplayBytes: " + maxReplayBytes + " (expected: 1.." + MAX_REPLAY_BYTES_LIMIT + ")");
    }
  }

  /**
   * Parses validated config.
   *
   * @param node the plugin's {@code config}
   * @return the config
   * @throws io.plugmesh.filters.ConfigException naming the field that is wrong
   */
  public static RetryConfig parse(ConfigNode node) {
    int attempts = node.integer("attempts", DEFAULT_ATTEMPTS, 1, MAX_ATTEMPTS);
    Set<Condition> retryOn = DEFAULT_RETRY_ON;
    if (node.has("retryOn")) {
      retryOn = EnumSet.noneOf(Condition.class);
      retryOn.addAll(node.list("retryOn", c -> c.asEnum(Condition.class, Condition::configName)));
      if (retryOn.isEmpty()) {
        throw node.get("retryOn").invalid("empty (expected: at least one condition)");
      }
    }
    Set<Integer> codes = new LinkedHashSet<>();
    for (ConfigNode item : node.list("retriableStatusCodes")) {
      long code = item.asLong();
      if (code < 100 || code > 599) {
        throw item.invalid(code + " (expected: an HTTP status, 100..599)");
      }
      codes.add((int) code);
    }
    if (codes.size() > MAX_STATUS_CODES) {
      throw node.get("retriableStatusCodes")
          .invalid(codes.size() + " codes (expected: at most " + MAX_STATUS_CODES + ")");
    }
    boolean wantsCodes = retryOn.contains(Condition.RETRIABLE_STATUS_CODES);
    if (wantsCodes && codes.isEmpty()) {
      throw node.invalid(
          "retryOn holds retriable-status-codes but retriableStatusCodes is empty"
              + " (expected: the statuses to retry, e.g. [503, 429])");
    }
    if (!wantsCodes && !codes.isEmpty()) {
      throw node.get("retriableStatusCodes")
          .invalid(
              codes
                  + " but retryOn lacks retriable-status-codes (expected: add it to retryOn,"
                  + " or remove retriableStatusCodes)");
    }
    Set<String> methods = DEFAULT_METHODS;
    if (node.has("methods")) {
      methods = new LinkedHashSet<>(node.list("methods", RetryConfig::method));
      if (methods.isEmpty()) {
        throw node.get("methods").invalid("empty (expected: at least one method)");
      }
    }
    Optional<Duration> perTry =
        node.find("perTryTimeout").map(t -> t.asPositiveDuration(MAX_DURATION));
    Backoff backoff = Backoff.DEFAULT;
    if (node.has("backoff")) {
      ConfigNode b = node.get("backoff");
      Duration base =
          b.find("base")
              .map(n -> n.asDuration(Duration.ZERO, MAX_DURATION))
              .orElse(Backoff.DEFAULT_BASE);
      Duration tenTimes = base.multipliedBy(Backoff.DEFAULT_MAX_FACTOR);
      Duration max =
          b.find("max")
              .map(n -> n.asDuration(Duration.ZERO, MAX_DURATION))
              .orElse(tenTimes.compareTo(MAX_DURATION) > 0 ? MAX_DURATION : tenTimes);
      if (max.compareTo(base) < 0) {
        throw b.invalid("max " + max + " is below base " + base + " (expected: base <= max)");
      }
      backoff = new Backoff(base, max);
    }
    Duration maxRetryAfter =
        node.find("maxRetryAfter")
            .map(n -> n.asDuration(Duration.ZERO, MAX_DURATION))
            .orElse(DEFAULT_MAX_RETRY_AFTER);
    Budget budget = Budget.DEFAULT;
    if (node.has("budget")) {
      ConfigNode b = node.get("budget");
      budget =
          new Budget(
              b.number("percent", Budget.DEFAULT_PERCENT, 0, 100),
              b.integer("minRetries", Budget.DEFAULT_MIN_RETRIES, 0, Budget.MAX_MIN_RETRIES),
              b.find("window")
                  .map(w -> w.asDuration(Duration.ofSeconds(1), MAX_DURATION))
                  .orElse(Budget.DEFAULT_WINDOW));
    }
    int replay =
        node.integer("maxReplayBytes", DEFAULT_MAX_REPLAY_BYTES, 1, MAX_REPLAY_BYTES_LIMIT);
    return new RetryConfig(
        attempts, retryOn, codes, methods, perTry, backoff, maxRetryAfter, budget, replay);
  }

  private static String method(ConfigNode node) {
    String m = node.asString().trim();
    if (!m.matches("[A-Za-z]{1,20}")) {
      throw node.invalid("\"" + m + "\" (expected: an HTTP method such as GET)");
    }
    return m.toUpperCase(Locale.ROOT);
  }

  private static void checkDuration(String field, Duration d, boolean zeroAllowed) {
    if (d.isNegative() || (!zeroAllowed && d.isZero()) || d.compareTo(MAX_DURATION) > 0) {
      throw new IllegalArgumentException(
          field + ": " + d + " (expected: " + (zeroAllowed ? "0" : "more than 0") + "..1h)");
    }
  }
}
