package io.plugmesh.plugins.ratelimit;

import static java.util.Objects.requireNonNull;

import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConfigurationBuilder;
import io.plugmesh.filters.ConfigNode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

/**
 * The limits one bucket enforces together (e.g. 10/s and 1,000/day): a request passes only when
 * every limit has a token, and then takes one from each. Equal when their limits are equal.
 */
public final class LimitSet {

  /** The most limits in one set: 8. */
  public static final int MAX_LIMITS = 8;

  private final List<Limit> limits;
  private final String id;
  private final BucketConfiguration configuration;

  /**
   * Creates a limit set.
   *
   * @param limits the limits, at least one, distinct names
   */
  public LimitSet(List<Limit> limits) {
    limits = List.copyOf(requireNonNull(limits, "limits"));
    if (limits.isEmpty() || limits.size() > MAX_LIMITS) {
      throw new IllegalArgumentException(
          "limits: " + limits.size() + " (expected: 1.." + MAX_LIMITS + ")");
    }
    Set<String> names = new HashSet<>();
    for (Limit limit : limits) {
      if (!names.add(limit.name())) {
        throw new IllegalArgumentException(
            "limits: name '" + limit.name() + "' twice (expected: distinct names)");
      }
    }
    this.limits = limits;
    this.id = computeId(limits);
    ConfigurationBuilder builder = BucketConfiguration.builder();
    for (Limit limit : limits) {
      builder.addLimit(limit.toBandwidth());
    }
    this.configuration = builder.build();
  }

  /**
   * The limits in config order.
   *
   * @return the limits
   */
  public List<Limit> limits() {
    return limits;
  }

  /**
   * Parses a list of limit objects.
   *
   * @param node the list
   * @return the set
   */
  static LimitSet parse(ConfigNode node) {
    List<ConfigNode> items = node.asList();
    if (items.isEmpty() || items.size() > MAX_LIMITS) {
      throw node.invalid(items.size() + " limits (expected: 1.." + MAX_LIMITS + ")");
    }
    List<Limit> limits =
        items.stream()
            .map(
                item ->
                    Limit.parse(
                        item,
                        Limit.defaultName(
                            item.get("tokens").asLong(), String.valueOf(item.get("per").raw()))))
            .toList();
    Set<String> names = new HashSet<>();
    for (int i = 0; i < limits.size(); i++) {
      if (!names.add(limits.get(i).name())) {
        throw items
            .get(i)
            .invalid("name '" + limits.get(i).name() + "' twice (expected: distinct names)");
      }
    }
    return new LimitSet(limits);
  }

  /**
   * A short stable id of these limits, part of every bucket key so buckets of changed limits start
   * afresh while unchanged ones keep their state across config versions and proxies.
   *
   * @return 12 hex digits
   */
  public String id() {
    return id;
  }

  private static String computeId(List<Limit> limits) {
    StringBuilder text = new StringBuilder();
    for (Limit l : limits) {
      text.append(l.name())
          .append(',')
          .append(l.tokens())
          .append(',')
          .append(l.per().toNanos())
          .append(',')
          .append(l.capacity())
          .append(',')
          .append(l.refill())
          .append(';');
    }
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256")
              .digest(text.toString().getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 6);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is not available", e);
    }
  }

  /**
   * The longest time any limit takes to refill from empty: after that long without requests a
   * bucket is full, so forgetting it loses nothing.
   *
   * @return the longest full-refill time
   */
  public Duration longestRefill() {
    return limits.stream().map(Limit::fullRefill).max(Duration::compareTo).orElseThrow();
  }

  /**
   * These limits as a bucket4j configuration.
   *
   * @return the configuration
   */
  BucketConfiguration toBucketConfiguration() {
    return configuration;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LimitSet other && other.limits.equals(limits);
  }

  @Override
  public int hashCode() {
    return limits.hashCode();
  }

  @Override
  public String toString() {
    return "LimitSet" + limits;
  }
}
