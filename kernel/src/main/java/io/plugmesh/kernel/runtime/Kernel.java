package io.plugmesh.kernel.runtime;

import static java.util.Objects.requireNonNull;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.channel.EventLoopGroup;
import io.plugmesh.config.ConfigError;
import io.plugmesh.config.ConfigValidator;
import io.plugmesh.config.Limits;
import io.plugmesh.config.MeshConfig;
import io.plugmesh.config.ProxySettings;
import io.plugmesh.filters.FilterFactory;
import io.plugmesh.filters.internal.ChainRunner;
import io.plugmesh.kernel.admin.AdminServer;
import io.plugmesh.kernel.chain.BlockedLoopWatchdog;
import io.plugmesh.kernel.cluster.ClusterRegistry;
import io.plugmesh.kernel.listener.ListenerServer;
import io.plugmesh.kernel.observe.AccessLogger;
import io.plugmesh.kernel.observe.MetricsRegistryFactory;
import io.plugmesh.kernel.observe.ProxyMetrics;
import io.plugmesh.kernel.observe.RequestLog;
import io.plugmesh.kernel.proxy.Downstreams;
import io.plugmesh.kernel.proxy.ProxyRuntime;
import io.plugmesh.kernel.state.Snapshot;
import io.plugmesh.kernel.upstream.UpstreamConnector;
import io.plugmesh.pluginruntime.BuiltChain;
import io.plugmesh.pluginruntime.CauseLog;
import io.plugmesh.pluginruntime.ChainBuilder;
import io.plugmesh.pluginruntime.KernelServices;
import io.plugmesh.pluginruntime.PluginApi;
import io.plugmesh.pluginruntime.PluginConfigException;
import io.plugmesh.pluginruntime.PluginHost;
import io.plugmesh.pluginruntime.PluginInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running proxy: event loops, listeners, the plugin host, the current config snapshot, metrics,
 * access log and admin endpoints. Config changes are applied atomically with {@link #apply}: every
 * chain is built first, and a config that fails anywhere changes nothing.
 */
public final class Kernel implements ProxyRuntime, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Kernel.class);

  private final ProxySettings settings;
  private final Transport transport = new Transport();
  private final EventLoopGroup boss;
  private final EventLoopGroup workers;
  private final UpstreamConnector connector;
  private final ClusterRegistry clusterRegistry;
  private final PrometheusMeterRegistry registry;
  private final ProxyMetrics metrics;
  private final AccessLogger accessLog;
  private final PluginHost plugins;
  private final ChainBuilder chains;
  private final KernelServices services;
  private final AtomicReference<Snapshot> current = new AtomicReference<>();
  private final Listeners listeners;
  private final AdminServer admin;
  private final BlockedLoopWatchdog watchdog;
  private final Downstreams downstreams = new Downstreams();
  private volatile boolean closed;
  private volatile boolean draining;
  private volatile String staleReason;
  private long nextVersion = 1;

  private Kernel(ProxySettings settings, List<FilterFactory<?>> builtins) {
    this.settings = requireNonNull(settings, "settings");
    this.boss = transport.group("plugmesh-accept", 1);
    this.workers = transport.group("plugmesh-io", Runtime.getRuntime().availableProcessors());
    this.connector = new UpstreamConnector(transport.channel());
    this.clusterRegistry = new ClusterRegistry(workers, transport.channel());
    this.listeners = new Listeners(this, boss, workers, transport);
    this.registry = MetricsRegistryFactory.create();
    this.metrics = new ProxyMetrics(registry, settings.metricsPrefix());
    this.watchdog =
        new BlockedLoopWatchdog(
            settings.limits().blockedLoopThreshold(),
            settings.limits().quarantineBlockingPlugins(),
            registry,
            settings.metricsPrefix());
    this.accessLog =
        AccessLogger.open(
            switch (settings.accessLog().format()) {
              case TEXT -> AccessLogger.Format.TEXT;
              case JSON -> AccessLogger.Format.JSON;
              case OFF -> AccessLogger.Format.OFF;
            },
            settings.accessLog().file() == null
                ? AccessLogger.STDOUT
                : settings.accessLog().file().toString(),
            registry,
            settings.metricsPrefix());
    this.plugins = PluginHost.load(settings.pluginsDir(), PluginApi.VERSION, builtins);
    this.services = KernelServices.defaults(registry, settings.metricsPrefix());
    this.chains = new ChainBuilder(plugins, services);
    this.admin =
        AdminServer.start(
            settings.admin().host(),
            settings.admin().port(),
            new KernelAdminState(this),
            boss,
            settings.admin().token());
  }

  /**
   * Starts a proxy serving {@code config}.
   *
   * @param settings the bootstrap settings
   * @param config the first config, or null to start without listeners
   * @param builtins filter factories available without a plugin jar (tests, embedding)
   * @return the running kernel
   */
  public static Kernel start(
      ProxySettings settings, MeshConfig config, List<FilterFactory<?>> builtins) {
    Kernel kernel = new Kernel(settings, builtins);
    try {
      if (config != null) {
        kernel.apply(config);
      }
      return kernel;
    } catch (RuntimeException e) {
      kernel.close();
      throw e;
    }
  }

  /**
   * Applies a new config atomically: validates it, builds every chain, binds new listeners, then
   * switches. On any error nothing changes and the error names the route, plugin and field.
   *
   * @param config the new config
   * @return the new version
   */
  public synchronized long apply(MeshConfig config) {
    if (closed || draining) {
      throw new IllegalStateException(closed ? "kernel is closed" : "kernel is draining");
    }
    ConfigValidator.validate(config);
    long version = nextVersion;
    Map<String, BuiltChain> built;
    try {
      built = chains.buildAll(config.routes(), version);
    } catch (PluginConfigException e) {
      throw asConfigError(config, e);
    }

    try {
      connector.tls().retain(config.clusters());
    } catch (IllegalStateException e) {
      throw new ConfigError(List.of(ConfigError.Problem.at("clusters", e.getMessage())));
    }
    Map<String, ListenerServer> opened = listeners.open(config.listeners());
    Snapshot snapshot =
        Snapshot.build(version, config, built, clusterRegistry.apply(config.clusters()));
    current.set(snapshot);
    watchdog.configChanged();
    nextVersion++;
    listeners.switchTo(config.listeners(), opened);
    metrics.setConfigVersion(version);
    if (version == 1) {
      // The proxy serves now; the JVM and process meters need not delay that.
      MetricsRegistryFactory.bindInBackground(registry);
    }
    log.info(
        "config version {} applied: {} listeners, {} clusters, {} routes",
        version,
        config.listeners().size(),
        config.clusters().size(),
        config.routes().size());
    return version;
  }

  /** One error type for every rejected config, with fields as paths from the document root. */
  private static ConfigError asConfigError(MeshConfig config, PluginConfigException e) {
    List<ConfigError.Problem> problems = new ArrayList<>();
    for (PluginConfigException.Problem p : e.problems()) {
      int routeIndex = 0;
      while (routeIndex < config.routes().size()
          && !config.routes().get(routeIndex).name().equals(p.route())) {
        routeIndex++;
      }
      problems.add(p.toConfigProblem(routeIndex));
    }
    return new ConfigError(problems);
  }

  /**
   * What a plugin reload did.
   *
   * @param changed whether a plugin was loaded, replaced or removed
   * @param loaded the plugin versions loaded and now used by the routes
   * @param removed the versions replaced or removed; unloaded once their last request finished
   * @param failed jars that changed but could not be loaded, with the reason
   * @param configVersion the config version serving now (a new one when {@code changed})
   */
  public record PluginReload(
      boolean changed,
      List<PluginInfo> loaded,
      List<PluginInfo> removed,
      List<PluginInfo> failed,
      long configVersion) {}

  /**
   * Reloads the plugins directory without a restart: new and changed jars are loaded next to the
   * versions they replace, then the current config is applied again as a new version so every route
   * moves to them; requests in flight finish on the old chains and the old versions are unloaded
   * after them. When the current config does not build with the new plugins (e.g. a jar was removed
   * that a route names), nothing changes and the error says why.
   *
   * @return what changed
   * @throws RuntimeException when the current config does not build with the reloaded plugins
   */
  public synchronized PluginReload reloadPlugins() {
    if (closed) {
      throw new IllegalStateException("kernel is closed");
    }
    Snapshot serving = current.get();
    List<String> used = serving == null ? List.of() : availableFiltersUsedBy(serving.config());
    PluginHost.Reload reload = plugins.reload();
    long version = serving == null ? 0 : serving.version();
    if (reload.changed() && serving != null) {
      try {
        for (String name : used) {
          if (plugins.factory(name).isEmpty()) {
            throw new IllegalStateException(
                "the current config uses plugin '"
                    + name
                    + "', which would no longer be available ("
                    + plugins.failureReason(name).orElse("no jar provides it any more")
                    + "); expected: a config version without it first");
          }
        }
        version = apply(serving.config());
      } catch (RuntimeException e) {
        reload.rollback();
        log.error(
            "plugins changed in {} but the current config does not build with them; kept the"
                + " previous plugins:\n{}",
            plugins.pluginsDir(),
            e.getMessage());
        throw e;
      }
    }
    reload.commit();
    if (reload.changed()) {
      log.info(
          "plugins reloaded: loaded {}, retired {}, config version {}",
          reload.loaded().stream().map(p -> p.id() + " " + p.version()).toList(),
          reload.removed().stream().map(p -> p.id() + " " + p.version()).toList(),
          version);
    }
    return new PluginReload(
        reload.changed(), reload.loaded(), reload.removed(), reload.failed(), version);
  }

  /** The filter names routes of {@code config} use (not off) that are available now. */
  private List<String> availableFiltersUsedBy(MeshConfig config) {
    List<String> names = new ArrayList<>();
    for (var route : config.routes()) {
      for (var entry : route.plugins()) {
        if (entry != null
            && entry.name() != null
            && entry.mode() != io.plugmesh.filters.advanced.FilterMode.OFF
            && plugins.factory(entry.name()).isPresent()
            && !names.contains(entry.name())) {
          names.add(entry.name());
        }
      }
    }
    return names;
  }

  /**
   * The port a listener is bound to.
   *
   * @param listener the listener name
   * @return the port
   */
  public synchronized int port(String listener) {
    return listeners.port(listener);
  }

  /**
   * The admin port.
   *
   * @return the port
   */
  public int adminPort() {
    return admin.port();
  }

  /**
   * The plugin host.
   *
   * @return the plugins
   */
  public PluginHost plugins() {
    return plugins;
  }

  /**
   * The metrics registry.
   *
   * @return the registry
   */
  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /**
   * Marks the config as possibly out of date (e.g. the control service is unreachable), shown on
   * {@code /ready}.
   *
   * @param reason why, or null when fresh
   */
  public void stale(String reason) {
    this.staleReason = reason;
  }

  @Override
  public Snapshot snapshot() {
    return current.get();
  }

  @Override
  public Limits limits() {
    return settings.limits();
  }

  @Override
  public UpstreamConnector connector() {
    return connector;
  }

  @Override
  public void record(RequestLog entry) {
    metrics.record(entry);
    accessLog.log(entry);
  }

  @Override
  public boolean accessLogged() {
    return accessLog.enabled();
  }

  @Override
  public ChainRunner.Watch watch() {
    return watchdog.watch();
  }

  @Override
  public String quarantinedPlugin(BuiltChain chain) {
    return watchdog.quarantined(chain.runner().links());
  }

  @Override
  public void upstreamRetried(String route, String cluster) {
    metrics.upstreamRetried(route, cluster);
  }

  @Override
  public CauseLog causeLog() {
    return chains.causeLog();
  }

  @Override
  public Downstreams downstreams() {
    return downstreams;
  }

  /**
   * Drains the proxy for shutdown, like Envoy: {@code /ready} turns 503 at once ({@code /live}
   * stays 200), the listeners stop accepting, HTTP/2 clients get GOAWAY (NO_ERROR) and HTTP/1.1
   * clients {@code Connection: close}, and requests in flight may finish within {@code
   * limits.drainTimeout}; what is left then is cut. {@link #close} stops the rest afterwards.
   *
   * @return what the drain did
   * @throws InterruptedException if interrupted while waiting
   */
  public Downstreams.Report drain() throws InterruptedException {
    synchronized (this) {
      draining = true;
      if (!closed) {
        listeners.close();
      }
    }
    return downstreams.drain(settings.limits().drainTimeout());
  }

  @Override
  public void connectionOpened(String listener) {
    metrics.connectionOpened(listener);
  }

  @Override
  public void connectionClosed(String listener) {
    metrics.connectionClosed(listener);
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    watchdog.close();
    clusterRegistry.close();
    listeners.close();
    long drainMillis = settings.limits().drainTimeout().toMillis();
    workers.shutdownGracefully(0, drainMillis, TimeUnit.MILLISECONDS).syncUninterruptibly();
    if (admin != null) {
      admin.close();
    }
    boss.shutdownGracefully(0, drainMillis, TimeUnit.MILLISECONDS).syncUninterruptibly();
    connector.close();
    services.close();
    plugins.close();
    accessLog.close();
    registry.close();
  }

  /** Whether the kernel is closed (package-private for its admin view). */
  boolean isClosed() {
    return closed;
  }

  /** Whether the kernel drains (package-private for its admin view). */
  boolean isDraining() {
    return draining;
  }

  /** Why the config is stale, or null (package-private for its admin view). */
  String staleReason() {
    return staleReason;
  }
}
