package io.plugmesh.pluginruntime;

import static java.util.Objects.requireNonNull;

import io.plugmesh.filters.FilterMetrics;
import io.plugmesh.filters.FilterServices;
import io.plugmesh.filters.advanced.FilterMode;
import java.time.Clock;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Supplier;

/**
 * The services one filter gets, for one route, plugin, mode and config version: the kernel's clock,
 * scheduler and blocking pool, Micrometer-backed metrics, a logger named {@code
 * plugmesh.plugin.<name>} (written to slf4j), and the plugin's shared objects.
 */
public final class KernelFilterServices implements FilterServices {

  /** Plugin loggers are named this plus the plugin name. */
  public static final String LOGGER_PREFIX = "plugmesh.plugin.";

  private final String route;
  private final String plugin;
  private final FilterMode mode;
  private final long configVersion;
  private final Clock clock;
  private final ScheduledExecutorService scheduler;
  private final Executor blocking;
  private final FilterMetrics metrics;
  private final System.Logger logger;
  private final SharedObjects shared;

  KernelFilterServices(
      String route,
      String plugin,
      FilterMode mode,
      long configVersion,
      KernelServices services,
      SharedObjects shared) {
    this.route = requireNonNull(route, "route");
    this.plugin = requireNonNull(plugin, "plugin");
    this.mode = requireNonNull(mode, "mode");
    if (mode == FilterMode.OFF) {
      throw new IllegalArgumentException(
          "plugin '" + plugin + "': mode OFF (expected: ENFORCE or SHADOW; off creates no filter)");
    }
    this.configVersion = configVersion;
    requireNonNull(services, "services");
    this.clock = services.clock();
    this.scheduler = new NonClosingScheduler(services.scheduler(), plugin);
    var pool = services.blockingExecutor();
    this.blocking = pool::execute;
    this.metrics =
        new MicrometerFilterMetrics(services.registry(), services.metricsPrefix(), route, plugin);
    this.logger = new Slf4jSystemLogger(LOGGER_PREFIX + plugin);
    this.shared = requireNonNull(shared, "shared");
  }

  @Override
  public String routeName() {
    return route;
  }

  @Override
  public String pluginName() {
    return plugin;
  }

  @Override
  public FilterMode mode() {
    return mode;
  }

  /**
   * The config version the filter was created for.
   *
   * @return the version
   */
  public long configVersion() {
    return configVersion;
  }

  @Override
  public Clock clock() {
    return clock;
  }

  @Override
  public long nanoTime() {
    return System.nanoTime();
  }

  @Override
  public ScheduledExecutorService scheduler() {
    return scheduler;
  }

  @Override
  public Executor blockingExecutor() {
    return blocking;
  }

  @Override
  public FilterMetrics metrics() {
    return metrics;
  }

  @Override
  public System.Logger logger() {
    return logger;
  }

  @Override
  public <T> T shared(String key, Class<T> type, Supplier<T> factory) {
    return shared.get(key, type, factory);
  }

  @Override
  public String toString() {
    return "FilterServices{route=" + route + ", plugin=" + plugin + ", v" + configVersion + "}";
  }
}
