package io.plugmesh.filters.testkit;

import static java.util.Objects.requireNonNull;

import io.plugmesh.filters.FilterMetrics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

/**
 * What filters recorded through {@link io.plugmesh.filters.FilterServices#metrics()}, kept in
 * memory so tests can assert on it by metric name and tags.
 *
 * <pre>{@code
 * assertThat(harness.metrics().count("rate_limited", "key", "claim:sub")).isEqualTo(1);
 * assertThat(harness.metrics().plugin("ratelimit").timerCount("wait")).isEqualTo(2);
 * }</pre>
 *
 * <p>Tags match exactly: a query with {@code ("decision", "deny")} does not match a counter
 * recorded with {@code ("decision", "deny", "reason", "expired")}. Queries sum over plugins unless
 * narrowed with {@link #plugin(String)}. Recording checks what the proxy checks: names in
 * snake_case, tags in key/value pairs, no {@code route} or {@code plugin} tag (the proxy adds
 * those), no negative increments.
 */
public final class TestMetrics {

  /** How many individual durations a timer keeps for {@link #timings}; counts stay exact. */
  public static final int MAX_SAMPLES_PER_TIMER = 10_000;

  private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9_]*");
  private static final Set<String> RESERVED_TAGS = Set.of("route", "plugin");

  private final Registry registry;
  private final String pluginFilter;

  TestMetrics() {
    this(new Registry(), null);
  }

  private TestMetrics(Registry registry, String pluginFilter) {
    this.registry = registry;
    this.pluginFilter = pluginFilter;
  }

  /**
   * A view of the metrics one plugin recorded.
   *
   * @param pluginName the plugin name
   * @return a view narrowed to that plugin
   */
  public TestMetrics plugin(String pluginName) {
    return new TestMetrics(registry, requireNonNull(pluginName, "pluginName"));
  }

  /**
   * A counter's value.
   *
   * @param name the metric name as the filter gave it, e.g. {@code rate_limited}
   * @param tags alternating tag keys and values, exactly as recorded (order does not matter)
   * @return the sum over matching counters, 0 when none was recorded
   */
  public long count(String name, String... tags) {
    Map<String, String> wanted = tagMap(tags);
    long sum = 0;
    for (Map.Entry<Id, AtomicLong> e : registry.counters.entrySet()) {
      if (e.getKey().matches(pluginFilter, name, wanted)) {
        sum += e.getValue().get();
      }
    }
    return sum;
  }

  /**
   * How many durations a timer recorded.
   *
   * @param name the metric name
   * @param tags alternating tag keys and values, exactly as recorded
   * @return the number of recordings, 0 when none
   */
  public long timerCount(String name, String... tags) {
    Map<String, String> wanted = tagMap(tags);
    long sum = 0;
    for (Map.Entry<Id, TimerData> e : registry.timers.entrySet()) {
      if (e.getKey().matches(pluginFilter, name, wanted)) {
        sum += e.getValue().count();
      }
    }
    return sum;
  }

  /**
   * The durations a timer recorded, in recording order (the first {@link #MAX_SAMPLES_PER_TIMER}
   * per timer).
   *
   * @param name the metric name
   * @param tags alternating tag keys and values, exactly as recorded
   * @return the durations, empty when none
   */
  public List<Duration> timings(String name, String... tags) {
    Map<String, String> wanted = tagMap(tags);
    List<Duration> out = new ArrayList<>();
    for (Map.Entry<Id, TimerData> e : registry.timers.entrySet()) {
      if (e.getKey().matches(pluginFilter, name, wanted)) {
        out.addAll(e.getValue().samples());
      }
    }
    return out;
  }

  /**
   * Every metric recorded (in this view), one per line, for failure messages, e.g. {@code counter
   * ratelimit/rate_limited{key=ip} = 3}.
   *
   * @return a readable listing, sorted
   */
  public List<String> describe() {
    List<String> lines = new ArrayList<>();
    registry.counters.forEach(
        (id, value) -> {
          if (pluginFilter == null || id.plugin().equals(pluginFilter)) {
            lines.add("counter " + id + " = " + value.get());
          }
        });
    registry.timers.forEach(
        (id, data) -> {
          if (pluginFilter == null || id.plugin().equals(pluginFilter)) {
            lines.add("timer " + id + " count=" + data.count());
          }
        });
    Collections.sort(lines);
    return lines;
  }

  @Override
  public String toString() {
    return "TestMetrics" + describe();
  }

  /** Where a plugin's filter records; tags every metric with the plugin's name. */
  FilterMetrics recorder(String pluginName) {
    requireNonNull(pluginName, "pluginName");
    return new FilterMetrics() {
      @Override
      public Counter counter(String name, String... tags) {
        AtomicLong value =
            registry.counters.computeIfAbsent(
                new Id(pluginName, checkName(name), checkTags(tags)), id -> new AtomicLong());
        return amount -> {
          if (amount < 0) {
            throw new IllegalArgumentException(
                "counter " + name + ": increment " + amount + " (expected: >= 0)");
          }
          value.addAndGet(amount);
        };
      }

      @Override
      public Timer timer(String name, String... tags) {
        TimerData data =
            registry.timers.computeIfAbsent(
                new Id(pluginName, checkName(name), checkTags(tags)), id -> new TimerData());
        return nanos -> {
          if (nanos < 0) {
            throw new IllegalArgumentException(
                "timer " + name + ": " + nanos + " ns (expected: >= 0)");
          }
          data.record(nanos);
        };
      }

      @Override
      public String toString() {
        return "FilterMetrics[" + pluginName + "]";
      }
    };
  }

  private static String checkName(String name) {
    requireNonNull(name, "name");
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "metric name: '" + name + "' (expected: snake_case, e.g. rate_limited)");
    }
    return name;
  }

  private static SortedMap<String, String> checkTags(String... tags) {
    SortedMap<String, String> map = tagMap(tags);
    for (String key : map.keySet()) {
      if (!NAME.matcher(key).matches()) {
        throw new IllegalArgumentException(
            "metric tag key: '" + key + "' (expected: snake_case, e.g. decision)");
      }
      if (RESERVED_TAGS.contains(key)) {
        throw new IllegalArgumentException(
            "metric tag key: '" + key + "' (expected: not route or plugin; the proxy adds those)");
      }
    }
    return map;
  }

  private static SortedMap<String, String> tagMap(String... tags) {
    requireNonNull(tags, "tags");
    if (tags.length % 2 != 0) {
      throw new IllegalArgumentException(
          "tags: " + tags.length + " strings (expected: key/value pairs, an even number)");
    }
    SortedMap<String, String> map = new TreeMap<>();
    for (int i = 0; i < tags.length; i += 2) {
      String key = requireNonNull(tags[i], "tag key");
      String value = requireNonNull(tags[i + 1], "value of tag " + key);
      if (map.put(key, value) != null) {
        throw new IllegalArgumentException("tags: '" + key + "' given twice (expected: once)");
      }
    }
    return map;
  }

  /** The registry shared by all views and recorders. */
  private static final class Registry {
    final ConcurrentMap<Id, AtomicLong> counters = new ConcurrentHashMap<>();
    final ConcurrentMap<Id, TimerData> timers = new ConcurrentHashMap<>();
  }

  /** A metric's identity: plugin, name and tags. */
  private record Id(String plugin, String name, SortedMap<String, String> tags) {
    boolean matches(String pluginFilter, String wantedName, Map<String, String> wantedTags) {
      return (pluginFilter == null || plugin.equals(pluginFilter))
          && name.equals(wantedName)
          && tags.equals(wantedTags);
    }

    @Override
    public String toString() {
      return plugin + "/" + name + (tags.isEmpty() ? "" : tags.toString());
    }
  }

  /** A timer's count and its first samples. */
  private static final class TimerData {
    private final List<Duration> samples = new ArrayList<>();
    private long count;

    synchronized void record(long nanos) {
      count++;
      if (samples.size() < MAX_SAMPLES_PER_TIMER) {
        samples.add(Duration.ofNanos(nanos));
      }
    }

    synchronized long count() {
      return count;
    }

    synchronized List<Duration> samples() {
      return List.copyOf(samples);
    }
  }
}
