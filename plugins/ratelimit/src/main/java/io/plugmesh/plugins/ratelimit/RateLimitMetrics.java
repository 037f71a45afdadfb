package io.plugmesh.plugins.ratelimit;

import io.plugmesh.filters.FilterMetrics;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;

/**
 * The plugin's counters, per route (the proxy adds route and plugin labels): {@code
 * ratelimit_requests{decision, source}} and {@code ratelimit_backend_errors{reason}}, plus the
 * {@code ratelimit_redis} call timer.
 */
final class RateLimitMetrics {
  static final String REQUESTS = "ratelimit_requests";
  static final String BACKEND_ERRORS = "ratelimit_backend_errors";
  static final String REDIS_TIMER = "ratelimit_redis";

  /** What happened to a request. */
  enum Decision {
    /** It had a token. */
    ALLOWED,
    /** It had none and got 429. */
    LIMITED,
    /** It had none, or Redis failed closed, but the plugin runs in shadow mode: it went on. */
    SHADOW_LIMITED,
    /** Redis failed and the closed failure policy answered 503. */
    REJECTED_UNAVAILABLE
  }

  /** Who decided. */
  enum Source {
    /** In-process buckets (local mode). */
    LOCAL,
    /** Redis (global mode). */
    REDIS,
    /** In-process fallback buckets while Redis failed (global mode, fail-open). */
    FALLBACK,
    /** Nobody: the failure policy (fail-closed). */
    POLICY
  }

  /** Why Redis did not answer. */
  enum BackendError {
    /** It did not answer within the route's timeout. */
    TIMEOUT,
    /** It answered with an error, or the connection is down. */
    ERROR
  }

  private final Map<Decision, Map<Source, FilterMetrics.Counter>> requests =
      new EnumMap<>(Decision.class);
  private final Map<BackendError, FilterMetrics.Counter> errors = new EnumMap<>(BackendError.class);
  private final FilterMetrics.Timer redisTimer;

  RateLimitMetrics(FilterMetrics metrics) {
    for (Decision d : Decision.values()) {
      Map<Source, FilterMetrics.Counter> bySource = new EnumMap<>(Source.class);
      for (Source s : Source.values()) {
        bySource.put(s, metrics.counter(REQUESTS, "decision", label(d), "source", label(s)));
      }
      requests.put(d, bySource);
    }
    for (BackendError e : BackendError.values()) {
      errors.put(e, metrics.counter(BACKEND_ERRORS, "reason", label(e)));
    }
    redisTimer = metrics.timer(REDIS_TIMER);
  }

  static String label(Enum<?> value) {
    return value.name().toLowerCase(Locale.ROOT);
  }

  void request(Decision decision, Source source) {
    requests.get(decision).get(source).increment();
  }

  void backendError(BackendError error) {
    errors.get(error).increment();
  }

  void redisCall(long nanos) {
    redisTimer.recordNanos(nanos);
  }
}
