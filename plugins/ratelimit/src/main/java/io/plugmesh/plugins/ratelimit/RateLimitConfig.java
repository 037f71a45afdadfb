package io.plugmesh.plugins.ratelimit;

import static java.util.Objects.requireNonNull;

import io.plugmesh.filters.ConfigException;
import io.plugmesh.filters.ConfigNode;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The ratelimit plugin's configuration for one route.
 *
 * @param mode where buckets live: in this proxy ({@code local}) or shared through Redis ({@code
 *     global})
 * @param key the parts that make a caller's key, at least one
 * @param limits the limits of every key without an override
 * @param defaultLimits the limits of keys missing a part (the default bucket); null means {@code
 *     limits}
 * @param overrides per-key limits, first match wins
 * @param headers which rate-limit headers responses carry
 * @param maxKeys the most keys kept in memory per route (least recently used go first)
 * @param idleTimeout how long an unused key is kept; null means the longest full-refill time
 * @param redis the Redis settings, required in {@code global} mode, else null
 */
public record RateLimitConfig(
    Mode mode,
    List<KeyPart> key,
    LimitSet limits,
    LimitSet defaultLimits,
    List<KeyOverride> overrides,
    HeaderStyle headers,
    int maxKeys,
    Duration idleTimeout,
    Redis redis) {

  /** Policy names: letters, digits, {@code . _ -}, at most 64 characters. */
  static final Pattern POLICY_NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");

  /** Default for {@code maxKeys}: 100,000 keys per route. */
  public static final int DEFAULT_MAX_KEYS = 100_000;

  /** The largest {@code maxKeys}: 10,000,000. */
  public static final int MAX_MAX_KEYS = 10_000_000;

  /** The most key parts: 4. */
  public static final int MAX_KEY_PARTS = 4;

  /** The most overrides per route: 1,000. */
  public static final int MAX_OVERRIDES = 1_000;

  /** The shortest {@code idleTimeout}: 1s. */
  public static final Duration MIN_IDLE_TIMEOUT = Duration.ofSeconds(1);

  /** Where buckets live. */
  public enum Mode {
    /** In this proxy's memory. */
    LOCAL,
    /** In Redis, shared by every proxy. */
    GLOBAL
  }

  /** Which rate-limit headers to send. */
  public enum HeaderStyle {
    /** {@code RateLimit-Policy} and {@code RateLimit} (IETF httpapi draft). */
    DRAFT,
    /** {@code X-RateLimit-Limit}, {@code X-RateLimit-Remaining}, {@code X-RateLimit-Reset}. */
    LEGACY,
    /** None (429 answers still carry {@code Retry-After}). */
    NONE
  }

  /** What to do when Redis does not answer in time. */
  public enum FailurePolicy {
    /** Let requests through, limited by per-proxy local buckets (the fallback limits). */
    OPEN,
    /** Reject requests with 503 until Redis is back. */
    CLOSED
  }

  /**
   * Limits for specific callers.
   *
   * @param match key part spec to the value it must have, e.g. {@code claim:client_id: acme}
   * @param limits the limits of matching keys
   */
  public record KeyOverride(Map<String, String> match, LimitSet limits) {
    /**
     * Creates an override.
     *
     * @param match the values to match, at least one
     * @param limits the limits
     */
    public KeyOverride {
      match = Map.copyOf(requireNonNull(match, "match"));
      requireNonNull(limits, "limits");
    }
  }

  /**
   * How to reach Redis and what to do when it fails.
   *
   * @param uri e.g. {@code redis://127.0.0.1:6379/0}
   * @param timeout the longest a request waits for Redis before the failure policy answers
   * @param failurePolicy open (local fallback) or closed (503)
   * @param fallbackLimits the per-proxy limits while failing open; null means the key's own limits
   * @param keyPrefix prefix of every Redis key
   */
  public record Redis(
      URI uri,
      Duration timeout,
      FailurePolicy failurePolicy,
      LimitSet fallbackLimits,
      String keyPrefix) {

    /** Default {@code timeout}: 50ms, the added latency budget when Redis is slow or gone. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMillis(50);

    /** The shortest {@code timeout}: 1ms. */
    public static final Duration MIN_TIMEOUT = Duration.ofMillis(1);

    /** The longest {@code timeout}: 1s. */
    public static final Duration MAX_TIMEOUT = Duration.ofSeconds(1);

    /** Default {@code keyPrefix}. */
    public static final String DEFAULT_KEY_PREFIX = "plugmesh:ratelimit:";

    /**
     * Creates the settings.
     *
     * @param uri the Redis URI
     * @param timeout the timeout
     * @param failurePolicy the policy
     * @param fallbackLimits the fallback limits or null
     * @param keyPrefix the key prefix
     */
    public Redis {
      requireNonNull(uri, "uri");
      requireNonNull(timeout, "timeout");
      requireNonNull(failurePolicy, "failurePolicy");
      requireNonNull(keyPrefix, "keyPrefix");
    }

    @Override
    public String toString() {
      return "Redis{host="
          + uri.getHost()
          + ":"
          + uri.getPort()
          + ", timeout="
          + timeout
          + ", failurePolicy="
          + failurePolicy
          + "}";
    }
  }

  /**
   * Creates a config.
   *
   * @param mode the mode
   * @param key the key parts
   * @param limits the limits
   * @param defaultLimits the default-bucket limits or null
   * @param overrides the overrides
   * @param headers the header style
   * @param maxKeys the key bound
   * @param idleTimeout the idle timeout or null
   * @param redis the Redis settings or null
   */
  public RateLimitConfig {
    requireNonNull(mode, "mode");
    key = List.copyOf(requireNonNull(key, "key"));
    requireNonNull(limits, "limits");
    overrides = List.copyOf(requireNonNull(overrides, "overrides"));
    requireNonNull(headers, "headers");
    if (key.isEmpty() || key.size() > MAX_KEY_PARTS) {
      throw new IllegalArgumentException(
          "key: " + key.size() + " parts (expected: 1.." + MAX_KEY_PARTS + ")");
    }
    if (maxKeys < 1 || maxKeys > MAX_MAX_KEYS) {
      throw new IllegalArgumentException(
          "maxKeys: " + maxKeys + " (expected: 1.." + MAX_MAX_KEYS + ")");
    }
    if (mode == Mode.GLOBAL && redis == null) {
      throw new IllegalArgumentException(
          "redis: missing (expected: redis settings in global mode)");
    }
  }

  /**
   * The limits of a key: the first matching override, else the default-bucket limits for an
   * incomplete key, else {@link #limits()}.
   *
   * @param bucketKey the key
   * @return the limits
   */
  public LimitSet limitsFor(BucketKey bucketKey) {
    for (KeyOverride o : overrides) {
      if (matches(o, bucketKey)) {
        return o.limits();
      }
    }
    if (!bucketKey.complete() && defaultLimits != null) {
      return defaultLimits;
    }
    return limits;
  }

  private boolean matches(KeyOverride o, BucketKey bucketKey) {
    for (Map.Entry<String, String> e : o.match().entrySet()) {
      int index = indexOf(e.getKey());
      if (index < 0 || !e.getValue().equals(bucketKey.values().get(index))) {
        return false;
      }
    }
    return true;
  }

  private int indexOf(String spec) {
    for (int i = 0; i < key.size(); i++) {
      if (key.get(i).spec().equals(spec)) {
        return i;
      }
    }
    return -1;
  }

  /**
   * Every limit set this config may use, for sizing caches.
   *
   * @return the limit sets
   */
  public List<LimitSet> allLimitSets() {
    List<LimitSet> all = new ArrayList<>();
    all.add(limits);
    if (defaultLimits != null) {
      all.add(defaultLimits);
    }
    overrides.forEach(o -> all.add(o.limits()));
    if (redis != null && redis.fallbackLimits() != null) {
      all.add(redis.fallbackLimits());
    }
    return all;
  }

  /**
   * How long an unused key is kept: {@link #idleTimeout()} or the longest full refill of any limit
   * set (at least {@link #MIN_IDLE_TIMEOUT}).
   *
   * @return the idle timeout
   */
  public Duration effectiveIdleTimeout() {
    if (idleTimeout != null) {
      return idleTimeout;
    }
    Duration longest =
        allLimitSets().stream().map(LimitSet::longestRefill).max(Duration::compareTo).orElseThrow();
    return longest.compareTo(MIN_IDLE_TIMEOUT) < 0 ? MIN_IDLE_TIMEOUT : longest;
  }

  /**
   * Parses a validated config tree.
   *
   * @param node the plugin's {@code config}
   * @return the config
   * @throws ConfigException naming the field and what was expected
   */
  public static RateLimitConfig parse(ConfigNode node) {
    Mode mode = node.enumValue("mode", Mode.LOCAL);
    List<KeyPart> key = parseKey(node);
    LimitSet limits = parseLimits(node);
    LimitSet defaultLimits = node.find("defaultLimits").map(LimitSet::parse).orElse(null);
    List<ConfigNode> overrideNodes = node.list("overrides");
    if (overrideNodes.size() > MAX_OVERRIDES) {
      throw node.get("overrides")
          .invalid(overrideNodes.size() + " overrides (expected: at most " + MAX_OVERRIDES + ")");
    }
    List<KeyOverride> overrides = node.list("overrides", o -> parseOverride(o, key));
    HeaderStyle headers = node.enumValue("headers", HeaderStyle.DRAFT);
    int maxKeys = node.integer("maxKeys", DEFAULT_MAX_KEYS, 1, MAX_MAX_KEYS);
    Duration idle =
        node.find("idleTimeout").map(n -> n.asDurationAtLeast(MIN_IDLE_TIMEOUT)).orElse(null);
    Redis redis = node.find("redis").map(RateLimitConfig::parseRedis).orElse(null);
    if (mode == Mode.GLOBAL && redis == null) {
      throw new ConfigException("redis", "missing (expected: redis settings in global mode)");
    }
    return new RateLimitConfig(
        mode, key, limits, defaultLimits, overrides, headers, maxKeys, idle, redis);
  }

  private static KeyOverride parseOverride(ConfigNode override, List<KeyPart> key) {
    ConfigNode matchNode = override.get("match");
    Map<String, String> match = matchNode.asMap(v -> BucketKey.bounded(v.asString()));
    for (String spec : match.keySet()) {
      if (key.stream().noneMatch(p -> p.spec().equals(spec))) {
        throw matchNode.invalid(
            "'"
                + spec
                + "' is not a key part (expected one of: "
                + String.join(", ", key.stream().map(KeyPart::spec).toList())
                + ")");
      }
    }
    if (match.isEmpty()) {
      throw matchNode.invalid("empty (expected: at least one key part and value)");
    }
    return new KeyOverride(match, LimitSet.parse(override.get("limits")));
  }

  private static List<KeyPart> parseKey(ConfigNode node) {
    if (!node.has("key")) {
      return List.of(new KeyPart.Route());
    }
    ConfigNode keyNode = node.get("key");
    List<ConfigNode> items = keyNode.asListOrSingle(item -> item);
    if (items.isEmpty() || items.size() > MAX_KEY_PARTS) {
      throw keyNode.invalid(items.size() + " parts (expected: 1.." + MAX_KEY_PARTS + ")");
    }
    List<KeyPart> parts = new ArrayList<>();
    for (ConfigNode item : items) {
      KeyPart part;
      try {
        part = KeyPart.parse(item.asString());
      } catch (IllegalArgumentException e) {
        throw item.invalid(e.getMessage());
      }
      if (parts.contains(part)) {
        throw item.invalid("'" + part.spec() + "' twice (expected: distinct parts)");
      }
      parts.add(part);
    }
    return parts;
  }

  private static LimitSet parseLimits(ConfigNode node) {
    boolean list = node.has("limits");
    boolean single = node.has("tokens") || node.has("per");
    if (list && single) {
      throw node.invalid("both limits and tokens/per (expected: one of them)");
    }
    if (list) {
      return LimitSet.parse(node.get("limits"));
    }
    if (!node.has("tokens") || !node.has("per")) {
      throw node.invalid("no limit (expected: tokens and per, or a limits list)");
    }
    String perText = String.valueOf(node.get("per").raw());
    return new LimitSet(
        List.of(Limit.parse(node, Limit.defaultName(node.get("tokens").asLong(), perText))));
  }

  private static Redis parseRedis(ConfigNode node) {
    String uriText = node.string("uri");
    URI uri;
    try {
      uri = URI.create(uriText);
    } catch (IllegalArgumentException e) {
      throw node.get("uri").invalid("not a URI (expected: redis://host:port[/db])");
    }
    if (!("redis".equals(uri.getScheme()) || "rediss".equals(uri.getScheme()))
        || uri.getHost() == null) {
      throw node.get("uri").invalid("'" + uri.getScheme() + "://…' (expected: redis://host:port)");
    }
    Duration timeout =
        node.find("timeout")
            .map(t -> t.asDuration(Redis.MIN_TIMEOUT, Redis.MAX_TIMEOUT))
            .orElse(Redis.DEFAULT_TIMEOUT);
    FailurePolicy policy = node.enumValue("failurePolicy", FailurePolicy.OPEN);
    LimitSet fallback = node.find("fallbackLimits").map(LimitSet::parse).orElse(null);
    String prefix = node.string("keyPrefix", Redis.DEFAULT_KEY_PREFIX);
    return new Redis(uri, timeout, policy, fallback, prefix);
  }
}
