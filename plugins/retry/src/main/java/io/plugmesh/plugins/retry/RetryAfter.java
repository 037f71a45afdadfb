package io.plugmesh.plugins.retry;

import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/** Reads a {@code Retry-After} header: delta-seconds or an HTTP-date (RFC 9110 section 10.2.3). */
final class RetryAfter {

  /** The longest header value looked at; longer values are ignored. */
  static final int MAX_VALUE_LENGTH = 64;

  private RetryAfter() {}

  /**
   * The wait a {@code Retry-After} value asks for.
   *
   * @param value the header value, or null
   * @param now the current wall-clock time, for HTTP-dates
   * @return the wait (zero for a date in the past), or empty when absent or unreadable
   */
  static Optional<Duration> parse(String value, Instant now) {
    if (value == null) {
      return Optional.empty();
    }
    String v = value.trim();
    if (v.isEmpty() || v.length() > MAX_VALUE_LENGTH) {
      return Optional.empty();
    }
    if (v.chars().allMatch(c -> c >= '0' && c <= '9')) {
      // Longer than 9 digits is more than 30 years: treat as "very long".
      return Optional.of(
          v.length() > 9
              ? RetryConfig.MAX_DURATION.plusSeconds(1)
              : Duration.ofSeconds(Long.parseLong(v)));
    }
    try {
      Instant at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
      Duration wait = Duration.between(now, at);
      return Optional.of(wait.isNegative() ? Duration.ZERO : wait);
    } catch (DateTimeParseException e) {
      return Optional.empty();
    }
  }
}
