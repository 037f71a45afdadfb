package io.plugmesh.pluginruntime;

import static java.util.Objects.requireNonNull;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.plugmesh.filters.FilterMetrics;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * A plugin's {@link FilterMetrics} on Micrometer: {@code <prefix>_plugin_<name>_total} counters and
 * {@code <prefix>_plugin_<name>_seconds} timers tagged with route, plugin and the plugin's tags.
 */
final class MicrometerFilterMetrics implements FilterMetrics {

  /** Metric names: snake_case, starting with a letter, at most 64 characters. */
  private static final Pattern METRIC_NAME = Pattern.compile("[a-z][a-z0-9_]{0,63}");

  /** Tag keys: snake_case, starting with a letter, at most 32 characters. */
  private static final Pattern TAG_KEY = Pattern.compile("[a-z][a-z0-9_]{0,31}");

  /** Most extra tags (key/value pairs) on one plugin metric. */
  static final int MAX_TAGS = 8;

  /** Names the kernel uses itself under {@code <prefix>_plugin_}. */
  private static final Set<String> RESERVED_NAMES = Set.of("decisions", "duration");

  /** Tag keys the kernel sets itself. */
  private static final Set<String> RESERVED_TAGS = Set.of("route", "plugin");

  /** Suffixes Prometheus adds or reserves; a name ending in one would read twice. */
  private static final String[] RESERVED_SUFFIXES = {
    "_total", "_seconds", "_count", "_sum", "_bucket", "_max", "_created"
  };

  private final MeterRegistry registry;
  private final String prefix;
  private final String route;
  private final String plugin;

  MicrometerFilterMetrics(MeterRegistry registry, String prefix, String route, String plugin) {
    this.registry = requireNonNull(registry, "registry");
    this.prefix = requireNonNull(prefix, "prefix");
    this.route = requireNonNull(route, "route");
    this.plugin = requireNonNull(plugin, "plugin");
  }

  @Override
  public FilterMetrics.Counter counter(String name, String... tags) {
    io.micrometer.core.instrument.Counter counter =
        io.micrometer.core.instrument.Counter.builder(meterName(name))
            .description("Counter '" + name + "' of plugin filters")
            .tags(tags(tags))
            .register(registry);
    return amount -> {
      if (amount < 0) {
        throw new IllegalArgumentException(
            "counter " + name + ": increment " + amount + " (expected: >= 0)");
      }
      counter.increment(amount);
    };
  }

  @Override
  public FilterMetrics.Timer timer(String name, String... tags) {
    io.micrometer.core.instrument.Timer timer =
        io.micrometer.core.instrument.Timer.builder(meterName(name))
            .description("Timer '" + name + "' of plugin filters")
            .tags(tags(tags))
            .register(registry);
    return nanos -> timer.record(Math.max(0, nanos), TimeUnit.NANOSECONDS);
  }

  private String meterName(String name) {
    requireNonNull(name, "name");
    if (!METRIC_NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "metric name '"
              + name
              + "' (expected: snake_case, starting with a letter, at most 64 characters)");
    }
    if (RESERVED_NAMES.contains(name)) {
      throw new IllegalArgumentException(
          "metric name '" + name + "' (expected: not one the kernel uses: " + RESERVED_NAMES + ")");
    }
    for (String suffix : RESERVED_SUFFIXES) {
      if (name.endsWith(suffix)) {
        throw new IllegalArgumentException(
            "metric name '"
                + name
                + "' (expected: no "
                + suffix
                + " suffix; the exporter adds _total or _seconds)");
      }
    }
    return prefix + ".plugin." + name;
  }

  private Tags tags(String[] keyValues) {
    requireNonNull(keyValues, "tags");
    if (keyValues.length % 2 != 0) {
      throw new IllegalArgumentException(
          "tags: " + keyValues.length + " strings (expected: key/value pairs, an even number)");
    }
    if (keyValues.length / 2 > MAX_TAGS) {
      throw new IllegalArgumentException(
          "tags: " + keyValues.length / 2 + " pairs (expected: at most " + MAX_TAGS + ")");
    }
    Tags result = Tags.of(Tag.of("route", route), Tag.of("plugin", plugin));
    for (int i = 0; i < keyValues.length; i += 2) {
      String key = keyValues[i];
      String value = keyValues[i + 1];
      if (key == null || !TAG_KEY.matcher(key).matches()) {
        throw new IllegalArgumentException(
            "tag key "
                + (key == null ? "null" : "'" + key + "'")
                + " (expected: snake_case, starting with a letter, at most 32 characters)");
      }
      if (RESERVED_TAGS.contains(key)) {
        throw new IllegalArgumentException(
            "tag key '" + key + "' (expected: not route or plugin, which the kernel sets)");
      }
      if (value == null) {
        throw new IllegalArgumentException("tag '" + key + "': null value (expected: a string)");
      }
      result = result.and(key, value);
    }
    return result;
  }
}
