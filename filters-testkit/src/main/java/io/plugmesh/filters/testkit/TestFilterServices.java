package io.plugmesh.filters.testkit;

import static java.util.Objects.requireNonNull;

import io.plugmesh.filters.FilterMetrics;
import io.plugmesh.filters.FilterServices;
import io.plugmesh.filters.advanced.FilterMode;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Supplier;

/**
 * {@link FilterServices} for tests: virtual time instead of the wall clock, in-memory metrics,
 * captured logs, and an inline blocking executor by default.
 *
 * <pre>{@code
 * TestFilterServices services = TestFilterServices.create("reviews-read", "ratelimit");
 * Filter filter = new RateLimitFactory().create(config, services);
 * ...
 * services.advance(Duration.ofSeconds(1));                  // refills, fires due timers
 * assertThat(services.recordedMetrics().count("rate_limited")).isEqualTo(1);
 * }</pre>
 *
 * <p>{@link FilterHarness} makes one per plugin in its chain with {@link #forPlugin(String)}, so
 * all of them share one {@link VirtualTime}, one metrics registry and one log. {@link #close()}
 * closes the {@link #shared shared objects} that are {@link AutoCloseable}, as the proxy does when
 * a plugin unloads.
 */
public final class TestFilterServices implements FilterServices, AutoCloseable {

  /** The route name used unless one is given. */
  public static final String DEFAULT_ROUTE = "test-route";

  /** The plugin name used unless one is given. */
  public static final String DEFAULT_PLUGIN = "test-plugin";

  /**
   * The most objects {@link #shared} keeps across all plugins; more means a key that should be
   * bounded (a user id, a path) is being used as a cache key.
   */
  public static final int MAX_SHARED_OBJECTS = 1_000;

  private final Common common;
  private final String routeName;
  private final String pluginName;
  private final FilterMode mode;

  private TestFilterServices(Common common, String routeName, String pluginName, FilterMode mode) {
    this.common = common;
    this.routeName = requireNonNull(routeName, "routeName");
    this.pluginName = requireNonNull(pluginName, "pluginName");
    this.mode = checkMode(mode);
  }

  private static FilterMode checkMode(FilterMode mode) {
    requireNonNull(mode, "mode");
    if (mode == FilterMode.OFF) {
      throw new IllegalArgumentException(
          "mode: OFF (expected: ENFORCE or SHADOW; the proxy creates no filter for an off entry)");
    }
    return mode;
  }

  /**
   * Services for {@link #DEFAULT_PLUGIN} on {@link #DEFAULT_ROUTE}, time starting at {@link
   * VirtualTime#DEFAULT_START}.
   *
   * @return new services
   */
  public static TestFilterServices create() {
    return builder().build();
  }

  /**
   * Services for one plugin on one route.
   *
   * @param routeName the route name filters see
   * @param pluginName the plugin name filters see
   * @return new services
   */
  public static TestFilterServices create(String routeName, String pluginName) {
    return builder().route(routeName).plugin(pluginName).build();
  }

  /**
   * A builder for services with a chosen start time or blocking executor.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Services for another plugin on the same route, in {@link FilterMode#ENFORCE enforce} mode,
   * sharing this one's time, metrics, log and blocking executor; {@link #shared} objects stay per
   * plugin.
   *
   * @param pluginName the other plugin's name
   * @return sibling services
   */
  public TestFilterServices forPlugin(String pluginName) {
    return forPlugin(pluginName, FilterMode.ENFORCE);
  }

  /**
   * Services for another plugin on the same route in the given mode, sharing this one's time,
   * metrics, log and blocking executor; {@link #shared} objects stay per plugin.
   *
   * @param pluginName the other plugin's name
   * @param mode what {@link #mode()} tells the plugin: enforce or shadow
   * @return sibling services
   * @throws IllegalArgumentException for {@link FilterMode#OFF}, which creates no filter
   */
  public TestFilterServices forPlugin(String pluginName, FilterMode mode) {
    return new TestFilterServices(common, routeName, pluginName, mode);
  }

  @Override
  public String routeName() {
    return routeName;
  }

  @Override
  public String pluginName() {
    return pluginName;
  }

  /**
   * The mode the plugin was set up with: {@link FilterMode#ENFORCE} unless {@link
   * Builder#mode(FilterMode)} or {@link
   * FilterHarness.Builder#add(io.plugmesh.filters.FilterFactory, java.util.Map, FilterMode)} said
   * otherwise.
   *
   * @return enforce or shadow
   */
  @Override
  public FilterMode mode() {
    return mode;
  }

  /**
   * The virtual wall clock; moves only with {@link #advance(Duration)}.
   *
   * @return the clock
   */
  @Override
  public Clock clock() {
    return common.time.clock();
  }

  /**
   * Virtual monotonic nanoseconds; moves only with {@link #advance(Duration)}.
   *
   * @return the reading
   */
  @Override
  public long nanoTime() {
    return common.time.nanoTime();
  }

  /**
   * The virtual-time scheduler; see {@link VirtualTime#scheduler()} for what it supports.
   *
   * @return the scheduler
   */
  @Override
  public ScheduledExecutorService scheduler() {
    return common.time.scheduler();
  }

  /**
   * The blocking executor: by default runs each task at once on the calling thread, so work a
   * filter hands off is finished when the call returns. Choose another with {@link
   * Builder#blockingExecutor(Executor)}.
   *
   * @return the executor
   */
  @Override
  public Executor blockingExecutor() {
    return common.blockingExecutor;
  }

  /**
   * Metrics recorded under this plugin's name; read them back with {@link #recordedMetrics()}.
   *
   * @return the plugin's metrics
   */
  @Override
  public FilterMetrics metrics() {
    return common.metrics.recorder(pluginName);
  }

  /**
   * A logger named {@code plugmesh.plugin.<name>} that captures into {@link #logs()}.
   *
   * @return the logger
   */
  @Override
  public System.Logger logger() {
    return common.logs.logger(pluginName);
  }

  /**
   * An object shared by this plugin's filters, created on first use; other plugins have their own
   * objects under the same key.
   *
   * @param key a name unique within the plugin
   * @param type the object's type
   * @param factory creates the object on first use; must not return null
   * @param <T> the type
   * @return the shared object
   * @throws ClassCastException if the key already holds an object of another type
   * @throws IllegalStateException if more than {@link #MAX_SHARED_OBJECTS} objects would be kept
   */
  @Override
  public <T> T shared(String key, Class<T> type, Supplier<T> factory) {
    requireNonNull(key, "key");
    requireNonNull(type, "type");
    requireNonNull(factory, "factory");
    String id = pluginName + "/" + key;
    Object value =
        common.shared.computeIfAbsent(
            id,
            k -> {
              if (common.shared.size() >= MAX_SHARED_OBJECTS) {
                throw new IllegalStateException(
                    "shared '"
                        + key
                        + "': already "
                        + MAX_SHARED_OBJECTS
                        + " shared objects (expected fewer; is the key unbounded?)");
              }
              return requireNonNull(
                  factory.get(), "shared '" + key + "': factory returned null (expected: a value)");
            });
    if (!type.isInstance(value)) {
      throw new ClassCastException(
          "shared '"
              + key
              + "': holds a "
              + value.getClass().getName()
              + " (expected: "
              + type.getName()
              + ")");
    }
    return type.cast(value);
  }

  /**
   * The virtual time behind the clock, {@link #nanoTime()} and the scheduler.
   *
   * @return the virtual time
   */
  public VirtualTime time() {
    return common.time;
  }

  /**
   * Moves virtual time forward and runs the scheduler tasks that fall due; same as {@code
   * time().advance(by)}.
   *
   * @param by how far to move, not negative
   */
  public void advance(Duration by) {
    common.time.advance(by);
  }

  /**
   * Everything every plugin sharing these services recorded.
   *
   * @return the metrics, queryable by name and tags
   */
  public TestMetrics recordedMetrics() {
    return common.metrics;
  }

  /**
   * Every line every plugin sharing these services logged, oldest first (at most the last 10,000).
   *
   * @return the log entries
   */
  public List<LogEntry> logs() {
    return common.logs.entries();
  }

  /**
   * Closes every {@link AutoCloseable} {@link #shared} object of every plugin sharing these
   * services, then forgets them all. Idempotent.
   *
   * @throws IllegalStateException if a close failed (after trying all of them)
   */
  @Override
  public void close() {
    List<Object> values = new ArrayList<>(common.shared.values());
    common.shared.clear();
    IllegalStateException failure = null;
    for (Object value : values) {
      if (value instanceof AutoCloseable closeable) {
        try {
          closeable.close();
        } catch (Exception e) {
          if (failure == null) {
            failure = new IllegalStateException("closing a shared object failed: " + e, e);
          } else {
            failure.addSuppressed(e);
          }
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
  }

  @Override
  public String toString() {
    return "TestFilterServices{route="
        + routeName
        + ", plugin="
        + pluginName
        + ", mode="
        + mode
        + "}";
  }

  CapturedLogs capturedLogs() {
    return common.logs;
  }

  /** State shared by the services of every plugin in one setup. */
  private static final class Common {
    final VirtualTime time;
    final Executor blockingExecutor;
    final TestMetrics metrics = new TestMetrics();
    final CapturedLogs logs = new CapturedLogs();
    final ConcurrentMap<String, Object> shared = new ConcurrentHashMap<>();

    Common(VirtualTime time, Executor blockingExecutor) {
      this.time = time;
      this.blockingExecutor = blockingExecutor;
    }
  }

  /** Builds {@link TestFilterServices}. */
  public static final class Builder {
    private String routeName = DEFAULT_ROUTE;
    private String pluginName = DEFAULT_PLUGIN;
    private FilterMode mode = FilterMode.ENFORCE;
    private Instant start = VirtualTime.DEFAULT_START;
    private Executor blockingExecutor = Runnable::run;

    private Builder() {}

    /**
     * The route name filters see.
     *
     * @param routeName the route name
     * @return this builder
     */
    public Builder route(String routeName) {
      this.routeName = requireNonNull(routeName, "routeName");
      return this;
    }

    /**
     * The plugin name filters see.
     *
     * @param pluginName the plugin name
     * @return this builder
     */
    public Builder plugin(String pluginName) {
      this.pluginName = requireNonNull(pluginName, "pluginName");
      return this;
    }

    /**
     * The mode filters see in {@link TestFilterServices#mode()}; {@link FilterMode#ENFORCE} by
     * default. Only what the filter is told: calling a filter directly applies no mode (a {@link
     * FilterHarness} does, as the proxy).
     *
     * @param mode enforce or shadow
     * @return this builder
     * @throws IllegalArgumentException for {@link FilterMode#OFF}, which creates no filter
     */
    public Builder mode(FilterMode mode) {
      this.mode = checkMode(mode);
      return this;
    }

    /**
     * Where the virtual wall clock starts.
     *
     * @param start the initial instant
     * @return this builder
     */
    public Builder startTime(Instant start) {
      this.start = requireNonNull(start, "start");
      return this;
    }

    /**
     * The blocking executor, e.g. a single-thread executor the test owns and shuts down, to test
     * real hand-offs. The default runs tasks inline.
     *
     * @param executor the executor
     * @return this builder
     */
    public Builder blockingExecutor(Executor executor) {
      this.blockingExecutor = requireNonNull(executor, "executor");
      return this;
    }

    /**
     * Builds the services.
     *
     * @return new services with their own virtual time, metrics and log
     */
    public TestFilterServices build() {
      return new TestFilterServices(
          new Common(VirtualTime.startingAt(start), blockingExecutor), routeName, pluginName, mode);
    }
  }
}
