package io.plugmesh.plugins.ratelimit;

import io.plugmesh.filters.Headers;
import java.util.List;

/**
 * Writes rate-limit response headers: the IETF httpapi draft's {@code RateLimit-Policy} and {@code
 * RateLimit} (one item per limit), or the older {@code X-RateLimit-*} trio for the limit closest to
 * rejecting, and {@code Retry-After} on rejections.
 */
final class RateLimitHeaders {
  static final String POLICY = "RateLimit-Policy";
  static final String RATE_LIMIT = "RateLimit";
  static final String X_LIMIT = "X-RateLimit-Limit";
  static final String X_REMAINING = "X-RateLimit-Remaining";
  static final String X_RESET = "X-RateLimit-Reset";
  static final String RETRY_AFTER = "Retry-After";

  private static final long NANOS_PER_SECOND = 1_000_000_000L;

  private RateLimitHeaders() {}

  /**
   * Adds the headers of a style.
   *
   * @param style the style
   * @param outcome what the bucket said
   * @param headers the response headers
   */
  static void write(RateLimitConfig.HeaderStyle style, Outcome outcome, Headers headers) {
    List<Limit> limits = outcome.limits().limits();
    switch (style) {
      case DRAFT -> {
        StringBuilder policy = new StringBuilder();
        StringBuilder state = new StringBuilder();
        for (int i = 0; i < limits.size(); i++) {
          Limit limit = limits.get(i);
          if (i > 0) {
            policy.append(", ");
            state.append(", ");
          }
          policy
              .append('"')
              .append(limit.name())
              .append("\";q=")
              .append(limit.capacity())
              .append(";w=")
              .append(Math.max(1, seconds(limit.fullRefill().toNanos())));
          state
              .append('"')
              .append(limit.name())
              .append("\";r=")
              .append(outcome.remaining().get(i))
              .append(";t=")
              .append(seconds(outcome.nanosUntilFull().get(i)));
        }
        headers.set(POLICY, policy.toString());
        headers.set(RATE_LIMIT, state.toString());
      }
      case LEGACY -> {
        int i = outcome.tightest();
        headers.set(X_LIMIT, Long.toString(limits.get(i).capacity()));
        headers.set(X_REMAINING, Long.toString(outcome.remaining().get(i)));
        headers.set(X_RESET, Long.toString(seconds(outcome.nanosUntilFull().get(i))));
      }
      case NONE -> {
        // Only Retry-After on rejections.
      }
    }
  }

  /**
   * The {@code Retry-After} value of a rejection: whole seconds until a token, at least 1.
   *
   * @param nanosToWait nanoseconds until a token is available
   * @return the seconds
   */
  static long retryAfterSeconds(long nanosToWait) {
    return Math.max(1, seconds(nanosToWait));
  }

  /** Nanoseconds rounded up to whole seconds. */
  static long seconds(long nanos) {
    if (nanos <= 0) {
      return 0;
    }
    return (nanos - 1) / NANOS_PER_SECOND + 1;
  }
}
