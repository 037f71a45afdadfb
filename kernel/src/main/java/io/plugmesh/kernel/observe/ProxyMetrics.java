package io.plugmesh.kernel.observe;

import static java.util.Objects.requireNonNull;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.plugmesh.filters.advanced.ResponseFlag;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

/**
 * Request-level metrics of the proxy, named and labelled like Istio's standard metrics behind a
 * configurable prefix (default {@code mesh}):
 *
 * <ul>
 *   <li>{@code <prefix>_requests_total} (counter)
 *   <li>{@code <prefix>_request_duration_milliseconds} (histogram; Istio's buckets 0.5, 1, 5, 10,
 *       25, 50, 100, 250, 500 ms, 1, 2.5, 5, 10, 30, 60 s, 5, 10, 30, 60 min)
 *   <li>{@code <prefix>_request_bytes}, {@code <prefix>_response_bytes} (histograms; buckets at the
 *       powers of ten from 1 B to 100 MB)
 * </ul>
 *
 * with the labels {@code reporter, route, destination_cluster, response_code, response_flags,
 * request_protocol, listener}. Absent values are {@code unknown} (no route, no cluster, no
 * protocol). Meters are cached per label set; at most {@link #MAX_LABEL_SETS} label sets are kept,
 * further ones are folded into {@code route="other", destination_cluster="other"} (at most {@link
 * #MAX_OVERFLOW_LABEL_SETS} of those), and past that into one series with every free label {@code
 * other}. Folds are counted in {@code <prefix>_metric_label_overflow_total}.
 *
 * <p>Also: {@code <prefix>_downstream_connections_active} (gauge) and {@code
 * <prefix>_downstream_connections_total} (counter) per listener, {@code
 * <prefix>_upstream_retries_total} (counter; upstream attempts after a request's first, per route
 * and destination cluster) and {@code <prefix>_config_version} (gauge). All methods are thread-safe
 * and cheap enough for an event loop.
 */
public final class ProxyMetrics {

  /** The default metric name prefix. */
  public static final String DEFAULT_PREFIX = "mesh";

  /** The default {@code reporter} label: the proxy serves the destination workload. */
  public static final String DEFAULT_REPORTER = "destination";

  /** The label value of anything absent (no route matched, no cluster chosen). */
  public static final String UNKNOWN = "unknown";

  /** The label value that overflowing label sets are folded into. */
  public static final String OTHER = "other";

  /** The most distinct request label sets kept before folding into {@code route="other"}. */
  public static final int MAX_LABEL_SETS = 4096;

  /** The most folded ({@code route="other"}) label sets before folding everything together. */
  public static final int MAX_OVERFLOW_LABEL_SETS = 1024;

  /** The most listeners with their own connection meters; more are counted as {@code other}. */
  public static final int MAX_LISTENERS = 256;

  /** Duration histogram buckets in milliseconds, as Istio's. */
  private static final double[] DURATION_BUCKETS_MS = {
    0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000, 300_000,
    600_000, 1_800_000, 3_600_000
  };

  /** Request and response size buckets in bytes (powers of ten up to 100 MB), as Istio's. */
  private static final double[] SIZE_BUCKETS_BYTES = {
    1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000
  };

  private static final Pattern PREFIX = Pattern.compile("[a-zA-Z][a-zA-Z0-9_]*");
  private static final double NANOS_PER_MILLI = 1_000_000.0;
  private static final long ALL_OTHER_FLAGS = -1L;
  private static final int ALL_OTHER_STATUS = -1;
  private static final int MAX_STATUS = 999;

  private final MeterRegistry registry;
  private final String prefix;
  private final Map<String, String> reporterByListener;
  private final int maxLabelSets;
  private final int maxOverflowLabelSets;
  private final Map<SeriesKey, RequestMeters> series = new ConcurrentHashMap<>();
  private final Map<SeriesKey, RequestMeters> overflowSeries = new ConcurrentHashMap<>();
  private final Map<String, ListenerConnections> connections = new ConcurrentHashMap<>();
  private final Map<RouteCluster, Counter> retries = new ConcurrentHashMap<>();
  private final AtomicLong configVersion = new AtomicLong();
  private final Counter labelOverflow;

  /**
   * Metrics with the default reporter {@code destination} for every listener.
   *
   * @param registry where meters are registered
   * @param prefix the metric name prefix, e.g. {@link #DEFAULT_PREFIX}
   */
  public ProxyMetrics(MeterRegistry registry, String prefix) {
    this(registry, prefix, Map.of());
  }

  /**
   * Metrics whose {@code reporter} label depends on the listener role.
   *
   * @param registry where meters are registered
   * @param prefix the metric name prefix, e.g. {@link #DEFAULT_PREFIX}
   * @param reporterByListener listener name to reporter ({@code source} for an outbound listener,
   *     {@code destination} for an inbound one); listeners not in it report {@link
   *     #DEFAULT_REPORTER}
   */
  public ProxyMetrics(
      MeterRegistry registry, String prefix, Map<String, String> reporterByListener) {
    this(registry, prefix, reporterByListener, MAX_LABEL_SETS, MAX_OVERFLOW_LABEL_SETS);
  }

  ProxyMetrics(
      MeterRegistry registry,
      String prefix,
      Map<String, String> reporterByListener,
      int maxLabelSets,
      int maxOverflowLabelSets) {
    this.registry = requireNonNull(registry, "registry");
    this.prefix = checkPrefix(prefix);
    this.reporterByListener = Map.copyOf(requireNonNull(reporterByListener, "reporterByListener"));
    this.maxLabelSets = maxLabelSets;
    this.maxOverflowLabelSets = maxOverflowLabelSets;
    this.labelOverflow =
        Counter.builder(name("metric.label.overflow"))
            .description(
                "Requests whose label set was folded into route=\"other\" because the label"
                    + " set limit was reached.")
            .register(registry);
    Gauge.builder(name("config.version"), configVersion, AtomicLong::get)
        .description("The version of the configuration the proxy currently serves.")
        .strongReference(true)
        .register(registry);
  }

  /**
   * Checks a metric prefix.
   *
   * @param prefix the prefix
   * @return the prefix
   * @throws IllegalArgumentException when it is not a valid Prometheus name start
   */
  static String checkPrefix(String prefix) {
    requireNonNull(prefix, "prefix");
    if (!PREFIX.matcher(prefix).matches()) {
      throw new IllegalArgumentException(
          "metrics prefix: '" + prefix + "' (expected: a letter, then letters, digits or '_')");
    }
    return prefix;
  }

  /**
   * The prefix these metrics use.
   *
   * @return the prefix, e.g. {@code mesh}
   */
  public String prefix() {
    return prefix;
  }

  /**
   * Counts one finished request.
   *
   * @param log the request
   */
  public void record(RequestLog log) {
    RequestMeters meters =
        metersFor(
            new SeriesKey(
                log.listener(),
                log.route(),
                log.cluster(),
                log.status(),
                flagsMask(log),
                log.protocol()));
    meters.requests.increment();
    meters.duration.record(log.durationNanos() / NANOS_PER_MILLI);
    meters.requestBytes.record(log.bytesReceived());
    meters.responseBytes.record(log.bytesSent());
  }

  /**
   * A downstream connection was accepted.
   *
   * @param listener the listener name
   */
  public void connectionOpened(String listener) {
    ListenerConnections c = connectionsFor(listener);
    c.active.incrementAndGet();
    c.total.increment();
  }

  /**
   * A downstream connection closed; call once per {@link #connectionOpened}.
   *
   * @param listener the listener name
   */
  public void connectionClosed(String listener) {
    connectionsFor(listener).active.decrementAndGet();
  }

  /**
   * Sets the config version gauge; the runtime calls it after each applied snapshot.
   *
   * @param version the version now served
   */
  public void setConfigVersion(long version) {
    configVersion.set(version);
  }

  /**
   * Counts an upstream attempt after the first of one request.
   *
   * @param route the route name
   * @param cluster the destination cluster
   */
  public void upstreamRetried(String route, String cluster) {
    RouteCluster key = new RouteCluster(orUnknown(route), orUnknown(cluster));
    Counter counter = retries.get(key);
    if (counter == null) {
      if (retries.size() >= maxLabelSets) {
        key = new RouteCluster(OTHER, OTHER);
      }
      counter =
          retries.computeIfAbsent(
              key,
              k ->
                  Counter.builder(name("upstream.retries"))
                      .description(
                          "Upstream attempts after a request's first (a filter retried), per"
                              + " route and destination cluster.")
                      .tags("route", k.route(), "destination_cluster", k.cluster())
                      .register(registry));
    }
    counter.increment();
  }

  /** Number of cached request label sets, for tests. */
  int labelSetCount() {
    return series.size() + overflowSeries.size();
  }

  private String name(String suffix) {
    return prefix + "." + suffix;
  }

  private static long flagsMask(RequestLog log) {
    long mask = 0;
    for (ResponseFlag flag : log.flags()) {
      mask |= 1L << flag.ordinal();
    }
    return mask;
  }

  private RequestMeters metersFor(SeriesKey key) {
    RequestMeters meters = series.get(key);
    if (meters != null) {
      return meters;
    }
    if (series.size() < maxLabelSets) {
      synchronized (this) {
        meters = series.get(key);
        if (meters == null && series.size() < maxLabelSets) {
          meters = register(key);
          series.put(key, meters);
        }
      }
      if (meters != null) {
        return meters;
      }
    }
    labelOverflow.increment();
    SeriesKey folded = key.folded();
    meters = overflowSeries.get(folded);
    if (meters == null && overflowSeries.size() >= maxOverflowLabelSets) {
      meters = overflowSeries.get(SeriesKey.ALL_OTHER);
    }
    if (meters != null) {
      return meters;
    }
    synchronized (this) {
      meters = overflowSeries.get(folded);
      if (meters == null && overflowSeries.size() >= maxOverflowLabelSets) {
        folded = SeriesKey.ALL_OTHER;
        meters = overflowSeries.get(folded);
      }
      if (meters == null) {
        meters = register(folded);
        overflowSeries.put(folded, meters);
      }
      return meters;
    }
  }

  private RequestMeters register(SeriesKey key) {
    String listener = key.listener == null ? OTHER : key.listener;
    Tags tags =
        Tags.of(
            "reporter", reporterByListener.getOrDefault(listener, DEFAULT_REPORTER),
            "route", orUnknown(key.route),
            "destination_cluster", orUnknown(key.cluster),
            "response_code", statusLabel(key.status),
            "response_flags", flagsLabel(key.flagsMask),
            "request_protocol", orUnknown(key.protocol),
            "listener", listener);
    return new RequestMeters(
        Counter.builder(name("requests"))
            .description("Requests served by the proxy.")
            .tags(tags)
            .register(registry),
        DistributionSummary.builder(name("request.duration"))
            .description("Request duration from the first request byte to the last response byte.")
            .baseUnit("milliseconds")
            .serviceLevelObjectives(DURATION_BUCKETS_MS)
            .tags(tags)
            .register(registry),
        DistributionSummary.builder(name("request"))
            .description("Request body size.")
            .baseUnit("bytes")
            .serviceLevelObjectives(SIZE_BUCKETS_BYTES)
            .tags(tags)
            .register(registry),
        DistributionSummary.builder(name("response"))
            .description("Response body size.")
            .baseUnit("bytes")
            .serviceLevelObjectives(SIZE_BUCKETS_BYTES)
            .tags(tags)
            .register(registry));
  }

  private ListenerConnections connectionsFor(String listener) {
    ListenerConnections c = connections.get(listener);
    if (c != null) {
      return c;
    }
    synchronized (connections) {
      String label = connections.size() < MAX_LISTENERS ? listener : OTHER;
      c = connections.get(label);
      if (c == null) {
        AtomicLong active = new AtomicLong();
        Gauge.builder(name("downstream.connections.active"), active, AtomicLong::get)
            .description("Open downstream connections.")
            .tag("listener", label)
            .strongReference(true)
            .register(registry);
        Counter total =
            Counter.builder(name("downstream.connections"))
                .description("Downstream connections accepted.")
                .tag("listener", label)
                .register(registry);
        c = new ListenerConnections(active, total);
        connections.put(label, c);
      }
      return c;
    }
  }

  private static String orUnknown(String value) {
    return value == null || value.isEmpty() ? UNKNOWN : value;
  }

  private static String statusLabel(int status) {
    return status < 0 || status > MAX_STATUS ? OTHER : Integer.toString(status);
  }

  private static String flagsLabel(long mask) {
    if (mask == ALL_OTHER_FLAGS) {
      return OTHER;
    }
    if (mask == 0) {
      return RequestLog.NO_FLAGS;
    }
    StringBuilder text = new StringBuilder();
    for (ResponseFlag flag : ResponseFlag.values()) {
      if ((mask & (1L << flag.ordinal())) != 0) {
        if (text.length() > 0) {
          text.append(',');
        }
        text.append(flag.code());
      }
    }
    return text.toString();
  }

  /** The labels of one request series; route and cluster come from config, the rest is bounded. */
  private record SeriesKey(
      String listener, String route, String cluster, int status, long flagsMask, String protocol) {
    static final SeriesKey ALL_OTHER =
        new SeriesKey(OTHER, OTHER, OTHER, ALL_OTHER_STATUS, ALL_OTHER_FLAGS, OTHER);

    SeriesKey folded() {
      return new SeriesKey(listener, OTHER, OTHER, status, flagsMask, protocol);
    }
  }

  private record RequestMeters(
      Counter requests,
      DistributionSummary duration,
      DistributionSummary requestBytes,
      DistributionSummary responseBytes) {}

  private record RouteCluster(String route, String cluster) {}

  private record ListenerConnections(AtomicLong active, Counter total) {}
}
