package io.plugmesh.filters;

import io.plugmesh.filters.advanced.FilterMode;
import java.time.Clock;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Supplier;

/** What the proxy gives a filter when it is created for a route. */
public interface FilterServices {

  /**
   * The route this filter serves.
   *
   * @return the route name
   */
  String routeName();

  /**
   * The plugin name, as in route config.
   *
   * @return the plugin name
   */
  String pluginName();

  /**
   * The mode of this filter's plugin entry on the route, fixed for the filter's life (a new mode is
   * a new config version, so a new filter). Use it to count what the filter would have done, e.g.
   * {@code shadow_limited}, and to skip side effects meant only for answers that count; the proxy
   * applies the mode itself (see {@link FilterMode}).
   *
   * @return {@link FilterMode#ENFORCE} or {@link FilterMode#SHADOW}; never {@link FilterMode#OFF},
   *     since an off entry creates no filter
   */
  FilterMode mode();

  /**
   * The wall clock, for timestamps such as JWT expiry.
   *
   * @return the clock
   */
  Clock clock();

  /**
   * A monotonic time source in nanoseconds, for durations.
   *
   * @return nanoseconds from an arbitrary origin
   */
  long nanoTime();

  /**
   * A scheduler for timers (delays, timeouts, refreshes). Tasks must not block.
   *
   * @return the scheduler; never shut it down
   */
  ScheduledExecutorService scheduler();

  /**
   * An executor for blocking work (file reads, a blocking client); bounded. Never block anywhere
   * else.
   *
   * @return the blocking executor
   */
  Executor blockingExecutor();

  /**
   * Metrics for this plugin, tagged with the route and plugin.
   *
   * @return the metrics
   */
  FilterMetrics metrics();

  /**
   * A logger named for the plugin.
   *
   * @return the logger
   */
  System.Logger logger();

  /**
   * An object shared by every filter instance of this plugin across routes and config versions (a
   * key cache, a client connection), created on first use and kept while the plugin is loaded. If
   * it is {@link AutoCloseable}, it is closed when the plugin unloads.
   *
   * @param key a name unique within the plugin, e.g. the JWKS URI
   * @param type the object's type
   * @param factory creates the object on first use
   * @param <T> the type
   * @return the shared object
   */
  <T> T shared(String key, Class<T> type, Supplier<T> factory);
}
