package io.plugmesh.pluginruntime;

import static java.util.Objects.requireNonNull;

import io.plugmesh.config.PluginEntry;
import io.plugmesh.config.RouteConfig;
import io.plugmesh.filters.ConfigException;
import io.plugmesh.filters.ConfigNode;
import io.plugmesh.filters.Filter;
import io.plugmesh.filters.FilterFactory;
import io.plugmesh.filters.FilterServices;
import io.plugmesh.filters.Phase;
import io.plugmesh.filters.advanced.BodyAccess;
import io.plugmesh.filters.advanced.FilterMode;
import io.plugmesh.filters.internal.ChainRunner;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds each route's filter chain from its plugin entries: the factory must be known, the config
 * must match the factory's JSON Schema and parse, the phases must be in order; then each filter is
 * created once for the route and config version. Problems name the route, plugin, position and
 * field. Each filter is told its entry's mode ({@link FilterServices#mode()}); shadow links also
 * log, rate-limited, the answers they would have given. A plugin that failed to load does not
 * reject the route: its link answers 503.
 */
public final class ChainBuilder {
  private static final Logger log = LoggerFactory.getLogger(ChainBuilder.class);

  /** At most this many "would have answered" lines are logged per second (all routes together). */
  public static final int MAX_SHADOW_LOG_LINES_PER_SECOND = 10;

  private final PluginHost host;
  private final KernelServices services;
  private final CauseLog errorLog;
  private final RateLimitedLog shadowLog = new RateLimitedLog(MAX_SHADOW_LOG_LINES_PER_SECOND);

  /**
   * Creates a builder.
   *
   * @param host where factories come from
   * @param services what created filters get
   */
  public ChainBuilder(PluginHost host, KernelServices services) {
    this.host = requireNonNull(host, "host");
    this.services = requireNonNull(services, "services");
    this.errorLog = new CauseLog(services.registry(), services.metricsPrefix());
  }

  /**
   * The warnings about failures clients can cause, rate-limited per cause; shared by the chains
   * built here (plugin failures) and the proxy around them.
   *
   * @return the log
   */
  public CauseLog causeLog() {
    return errorLog;
  }

  /**
   * Validates one route's plugin entries and builds its chain.
   *
   * @param route the route
   * @param configVersion the config version the filters are created for
   * @return the chain
   * @throws PluginConfigException listing every problem of the route
   */
  public BuiltChain build(RouteConfig route, long configVersion) throws PluginConfigException {
    requireNonNull(route, "route");
    List<PluginConfigException.Problem> problems = new ArrayList<>();
    Prepared prepared = prepare(route, problems);
    if (!problems.isEmpty()) {
      throw new PluginConfigException(problems);
    }
    BuiltChain chain = create(prepared, configVersion, problems);
    if (!problems.isEmpty()) {
      throw new PluginConfigException(problems);
    }
    return chain;
  }

  /**
   * Validates every route and, only if all are valid, builds every chain: all or nothing.
   *
   * @param routes the routes
   * @param configVersion the config version
   * @return the chains by route name, in route order
   * @throws PluginConfigException listing every problem of every route; nothing is built
   */
  public Map<String, BuiltChain> buildAll(List<RouteConfig> routes, long configVersion)
      throws PluginConfigException {
    requireNonNull(routes, "routes");
    List<PluginConfigException.Problem> problems = new ArrayList<>();
    List<Prepared> prepared = new ArrayList<>(routes.size());
    Set<String> names = new HashSet<>();
    for (RouteConfig route : routes) {
      requireNonNull(route, "route");
      if (!names.add(route.name())) {
        problems.add(
            new PluginConfigException.Problem(
                route.name(), "", -1, "name", "duplicate route name (expected: unique names)"));
        continue;
      }
      prepared.add(prepare(route, problems));
    }
    if (!problems.isEmpty()) {
      throw new PluginConfigException(problems);
    }
    Map<String, BuiltChain> chains = new LinkedHashMap<>();
    for (Prepared p : prepared) {
      BuiltChain chain = create(p, configVersion, problems);
      if (chain != null) {
        chains.put(p.route(), chain);
      }
    }
    if (!problems.isEmpty()) {
      throw new PluginConfigException(problems);
    }
    return Collections.unmodifiableMap(chains);
  }

  /** A route whose entries passed every check but creation. */
  private record Prepared(String route, List<PreparedLink> links) {}

  /** One entry to become a link. */
  private sealed interface PreparedLink permits Ready, Unavailable {
    int index();

    String name();

    FilterMode mode();
  }

  /** A parsed entry of an available factory. */
  private record Ready(int index, String name, FilterMode mode, Parsed<?> parsed)
      implements PreparedLink {}

  /** An entry whose plugin failed to load. */
  private record Unavailable(int index, String name, FilterMode mode, String reason)
      implements PreparedLink {}

  /** A factory with its parsed config, keeping the config's type together with the factory. */
  private record Parsed<C>(FilterFactory<C> factory, C config, int replay, BodyAccess bodyAccess) {
    static <C> Parsed<C> parse(FilterFactory<C> factory, ConfigNode node) {
      C config = factory.parseConfig(node);
      if (config == null) {
        throw new ConfigException("", "parseConfig returned null (expected: a config object)");
      }
      return new Parsed<>(factory, config, factory.replay(config), factory.bodyAccess(config));
    }

    Filter create(FilterServices services) {
      return factory.create(config, services);
    }
  }

  private record Placed(String name, Phase phase, int index) {}

  private Prepared prepare(RouteConfig route, List<PluginConfigException.Problem> problems) {
    String routeName = route.name();
    List<PreparedLink> links = new ArrayList<>();
    List<Placed> placed = new ArrayList<>();
    List<PluginEntry> entries = route.plugins();
    for (int i = 0; i < entries.size(); i++) {
      PluginEntry entry = entries.get(i);
      if (entry == null) {
        problems.add(
            problem(routeName, "", i, "", "empty plugin entry (expected: name and config)"));
        continue;
      }
      FilterMode mode = entry.mode() == null ? FilterMode.ENFORCE : entry.mode();
      if (mode == FilterMode.OFF) {
        continue;
      }
      String name = entry.name() == null ? "" : entry.name();
      if (name.isBlank()) {
        problems.add(problem(routeName, "", i, "name", "missing (expected: a plugin name)"));
        continue;
      }
      Optional<FilterFactory<?>> found = host.factory(name);
      if (found.isEmpty()) {
        Optional<String> failure = host.failureReason(name);
        if (failure.isPresent()) {
          log.warn(
              "route '{}': plugin '{}' (#{}) is not available ({}); the route answers {}",
              routeName,
              name,
              i + 1,
              failure.get(),
              UnavailableFilter.STATUS);
          links.add(new Unavailable(i, name, mode, failure.get()));
        } else {
          List<String> known = host.filterNames();
          problems.add(
              problem(
                  routeName,
                  name,
                  i,
                  "",
                  "unknown plugin '"
                      + name
                      + "' (known: "
                      + (known.isEmpty() ? "none" : String.join(", ", known))
                      + ")"));
        }
        continue;
      }
      FilterFactory<?> factory = found.get();
      Phase phase = checkOrder(routeName, name, i, factory, placed, problems);
      if (phase != null) {
        placed.add(new Placed(name, phase, i));
      }
      Parsed<?> parsed = parse(routeName, name, i, factory, entry.config(), problems);
      if (parsed != null) {
        links.add(new Ready(i, name, mode, parsed));
      }
    }
    return new Prepared(routeName, links);
  }

  /** Checks the entry's phase against those before it; returns the phase or null if unknown. */
  private static Phase checkOrder(
      String route,
      String name,
      int index,
      FilterFactory<?> factory,
      List<Placed> before,
      List<PluginConfigException.Problem> problems) {
    Phase phase;
    try {
      phase = factory.phase();
    } catch (RuntimeException | LinkageError e) {
      problems.add(problem(route, name, index, "", "phase() threw " + e));
      return null;
    }
    if (phase == null) {
      problems.add(problem(route, name, index, "", "phase() returned null (expected: a Phase)"));
      return null;
    }
    for (Placed earlier : before) {
      if (!earlier.phase().mayPrecede(phase)) {
        problems.add(
            problem(
                route,
                earlier.name(),
                earlier.index(),
                "",
                "plugin '"
                    + earlier.name()
                    + "' (phase "
                    + earlier.phase()
                    + ") must come after '"
                    + name
                    + "' (phase "
                    + phase
                    + ")"));
      }
    }
    return phase;
  }

  private Parsed<?> parse(
      String route,
      String name,
      int index,
      FilterFactory<?> factory,
      Object rawConfig,
      List<PluginConfigException.Problem> problems) {
    Object config = rawConfig == null ? Map.of() : rawConfig;
    List<ConfigSchemas.Violation> violations;
    try {
      violations = host.schemas().validate(factory, name, config);
    } catch (RuntimeException e) {
      problems.add(problem(route, name, index, "", "schema check failed: " + e.getMessage()));
      return null;
    }
    if (!violations.isEmpty()) {
      for (ConfigSchemas.Violation v : violations) {
        problems.add(problem(route, name, index, v.field(), v.problem()));
      }
      return null;
    }
    Parsed<?> parsed;
    try {
      parsed = Parsed.parse(factory, ConfigNode.of(config));
    } catch (ConfigException e) {
      String field = e.field().isEmpty() ? "config" : "config." + e.field();
      if (e.field().startsWith("[")) {
        field = "config" + e.field();
      }
      problems.add(problem(route, name, index, field, e.problem()));
      return null;
    } catch (RuntimeException | LinkageError e) {
      problems.add(problem(route, name, index, "", "parseConfig threw " + e));
      return null;
    }
    if (parsed.replay() < 0) {
      problems.add(
          problem(
              route,
              name,
              index,
              "",
              "replay(config) is " + parsed.replay() + " (expected: >= 0)"));
      return null;
    }
    if (parsed.bodyAccess() == null) {
      problems.add(
          problem(route, name, index, "", "bodyAccess(config) is null (expected: a BodyAccess)"));
      return null;
    }
    return parsed;
  }

  /** Creates the filters of a prepared route; adds problems and returns null on failure. */
  private BuiltChain create(
      Prepared prepared, long configVersion, List<PluginConfigException.Problem> problems) {
    String route = prepared.route();
    List<ChainRunner.Link> links = new ArrayList<>(prepared.links().size());
    int replayBytes = 0;
    int bufferedBytes = 0;
    int problemsBefore = problems.size();
    for (PreparedLink link : prepared.links()) {
      FilterMode mode = link.mode(); // never OFF: off entries make no link
      Filter filter;
      boolean replay = false;
      if (link instanceof Unavailable u) {
        filter = new UnavailableFilter(route, u.name(), u.reason());
      } else {
        Ready ready = (Ready) link;
        Parsed<?> parsed = ready.parsed();
        try {
          filter =
              parsed.create(
                  new KernelFilterServices(
                      route,
                      ready.name(),
                      mode,
                      configVersion,
                      services,
                      host.sharedObjects(ready.name(), parsed.factory())));
        } catch (RuntimeException | LinkageError e) {
          problems.add(problem(route, ready.name(), ready.index(), "", "create threw " + e));
          continue;
        }
        if (filter == null) {
          problems.add(
              problem(
                  route,
                  ready.name(),
                  ready.index(),
                  "",
                  "create returned null (expected: a Filter)"));
          continue;
        }
        replay = parsed.replay() > 0;
        replayBytes = Math.max(replayBytes, parsed.replay());
        if (parsed.bodyAccess() instanceof BodyAccess.Buffered buffered) {
          bufferedBytes = Math.max(bufferedBytes, buffered.maxBytes());
        }
      }
      if (mode == FilterMode.SHADOW) {
        filter = new ShadowReportingFilter(route, link.name(), filter, shadowLog);
      }
      links.add(new ChainRunner.Link(link.name(), filter, mode, replay));
    }
    if (problems.size() > problemsBefore) {
      return null;
    }
    ChainObserver observer =
        new ChainObserver(route, links, services.registry(), services.metricsPrefix(), errorLog);
    BuiltChain chain =
        new BuiltChain(
            route, configVersion, new ChainRunner(links), replayBytes, bufferedBytes, observer);
    // A plugin version stays loaded while a chain built from it is reachable.
    for (PreparedLink link : prepared.links()) {
      if (link instanceof Ready ready) {
        host.track(ready.parsed().factory(), chain);
      }
    }
    return chain;
  }

  private static PluginConfigException.Problem problem(
      String route, String plugin, int index, String field, String text) {
    return new PluginConfigException.Problem(route, plugin, index, field, text);
  }
}
