package io.plugmesh.control.server.validate;

import static java.util.Objects.requireNonNull;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.plugmesh.config.ConfigError;
import io.plugmesh.config.ConfigLoader;
import io.plugmesh.config.MeshConfig;
import io.plugmesh.config.PluginEntry;
import io.plugmesh.config.RouteConfig;
import io.plugmesh.control.api.ResourceSet;
import io.plugmesh.control.api.v1.PluginDescriptor;
import io.plugmesh.control.server.store.DesiredState;
import io.plugmesh.control.server.store.Kind;
import io.plugmesh.control.server.store.Resource;
import io.plugmesh.filters.FilterFactory;
import io.plugmesh.filters.advanced.FilterMode;
import io.plugmesh.pluginruntime.ChainBuilder;
import io.plugmesh.pluginruntime.KernelServices;
import io.plugmesh.pluginruntime.PluginApi;
import io.plugmesh.pluginruntime.PluginConfigException;
import io.plugmesh.pluginruntime.PluginHost;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control service's checks, with the proxy's own rules: the config model's validator (names,
 * references such as a backend cluster that does not exist), and the kernel's chain builder on
 * filters made from the plugin catalog (unknown plugin, config failing the plugin's JSON Schema,
 * phase order such as rbac before authn). Per target proxy it also checks that the proxy has every
 * plugin its routes name. Problems name the route, plugin and field.
 */
public final class Validator implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Validator.class);

  private final PluginCatalog catalog;
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final KernelServices services = KernelServices.defaults(registry);
  private long builtRevision = -1;
  private PluginHost host;
  private ChainBuilder chains;
  private final Path emptyDir;

  /** The most route check results kept (a route's checks depend only on it and the catalog). */
  public static final int MAX_CACHED_ROUTES = 50_000;

  /** The most whole-config check results kept. */
  public static final int MAX_CACHED_RESULTS = 64;

  private final Map<String, List<ConfigError.Problem>> results =
      new LinkedHashMap<>(16, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, List<ConfigError.Problem>> eldest) {
          return size() > MAX_CACHED_RESULTS;
        }
      };

  // Plugin checks per route, valid for the current catalog: only changed routes are checked again.
  private final Map<RouteConfig, List<PluginConfigException.Problem>> routeChecks =
      new LinkedHashMap<>(16, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(
            Map.Entry<RouteConfig, List<PluginConfigException.Problem>> eldest) {
          return size() > MAX_CACHED_ROUTES;
        }
      };

  /**
   * A validator over a catalog.
   *
   * @param catalog the plugins config is checked against
   */
  public Validator(PluginCatalog catalog) {
    this.catalog = requireNonNull(catalog, "catalog");
    try {
      this.emptyDir = Files.createTempDirectory("plugmesh-validation");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Rewrites every resource in the canonical form of the config model (defaults filled in,
   * durations as text) and checks each resource's own fields and selector.
   *
   * @param state the state as stored or written by admins
   * @return the canonical state, same revision
   * @throws ConfigError naming every malformed resource
   */
  public DesiredState canonical(DesiredState state) {
    List<ConfigError.Problem> problems = new ArrayList<>();
    List<Resource> out = new ArrayList<>();
    // each resource on its own (references are checked per target proxy, and listeners of
    // different proxies may share an address), each kind apart so one kind's problems do not
    // hide another's
    for (Kind kind : Kind.values()) {
      List<Resource> resources = state.of(kind);
      Map<String, Object> doc = new LinkedHashMap<>();
      doc.put(kind.plural(), stripped(resources, problems));
      try {
        MeshConfig config = ConfigLoader.eachFromTree(doc, null);
        addCanonical(resources, (List<?>) ConfigLoader.toTree(config).get(kind.plural()), out);
      } catch (ConfigError e) {
        problems.addAll(e.problems());
      }
    }
    if (!problems.isEmpty()) {
      throw new ConfigError(problems);
    }
    return DesiredState.of(state.revision(), out);
  }

  private static List<Object> stripped(
      List<Resource> resources, List<ConfigError.Problem> problems) {
    List<Object> out = new ArrayList<>();
    for (int i = 0; i < resources.size(); i++) {
      Resource r = resources.get(i);
      Map<String, Object> tree = new LinkedHashMap<>(r.tree());
      Object selector = tree.remove(ResourceSet.SELECTOR);
      checkSelector(
          selector, r.kind().plural() + "[" + i + "]." + ResourceSet.SELECTOR, r, problems);
      out.add(tree);
    }
    return out;
  }

  private static void checkSelector(
      Object selector, String field, Resource r, List<ConfigError.Problem> problems) {
    if (selector == null) {
      return;
    }
    String route = r.kind() == Kind.ROUTE ? r.name() : null;
    if (!(selector instanceof Map<?, ?> m)) {
      problems.add(
          new ConfigError.Problem(
              route, null, field, "not an object (expected: {service, labels})"));
      return;
    }
    for (Map.Entry<?, ?> e : m.entrySet()) {
      String key = String.valueOf(e.getKey());
      if (key.equals("service")) {
        if (!(e.getValue() instanceof String)) {
          problems.add(
              new ConfigError.Problem(
                  route, null, field + ".service", "not a string (expected: a service name)"));
        }
      } else if (key.equals("labels")) {
        if (!(e.getValue() instanceof Map<?, ?> labels)
            || !labels.values().stream().allMatch(v -> v instanceof String)) {
          problems.add(
              new ConfigError.Problem(
                  route, null, field + ".labels", "not a map of strings (expected: {key: value})"));
        }
      } else {
        problems.add(
            new ConfigError.Problem(
                route, null, field + "." + key, "unknown field (expected: service or labels)"));
      }
    }
  }

  private static void addCanonical(List<Resource> originals, List<?> trees, List<Resource> out) {
    for (int i = 0; i < originals.size(); i++) {
      Resource r = originals.get(i);
      @SuppressWarnings("unchecked")
      Map<String, Object> tree = new LinkedHashMap<>((Map<String, Object>) trees.get(i));
      Object selector = r.tree().get(ResourceSet.SELECTOR);
      if (selector instanceof Map<?, ?> m && !m.isEmpty()) {
        tree.put(ResourceSet.SELECTOR, selector);
      }
      out.add(new Resource(r.kind(), r.name(), tree, r.seq()));
    }
  }

  /**
   * Checks one target's config: the whole model, plugins against the catalog, and, for a proxy,
   * that the proxy has every plugin.
   *
   * @param selected the config for the target
   * @param proxyPlugins the plugins the target proxy has, or null for the catalog target
   * @param target the target for messages, e.g. {@code proxy 'reviews-0'}
   * @return the problems, empty when valid
   */
  public synchronized List<ConfigError.Problem> check(
      ResourceSet selected, Set<String> proxyPlugins, String target) {
    chains();
    String key = catalog.revision() + "|" + selected.version() + "|" + proxyPlugins + "|" + target;
    List<ConfigError.Problem> cached = results.get(key);
    if (cached != null) {
      return cached;
    }
    List<ConfigError.Problem> problems = checkUncached(selected, proxyPlugins, target);
    results.put(key, List.copyOf(problems));
    return problems;
  }

  private List<ConfigError.Problem> checkUncached(
      ResourceSet selected, Set<String> proxyPlugins, String target) {
    MeshConfig config;
    try {
      config = selected.config(target);
    } catch (ConfigError e) {
      return e.problems();
    }
    List<ConfigError.Problem> problems = new ArrayList<>();
    Map<String, PluginDescriptor> known = catalog.all();
    if (proxyPlugins != null) {
      for (int i = 0; i < config.routes().size(); i++) {
        RouteConfig route = config.routes().get(i);
        for (int j = 0; j < route.plugins().size(); j++) {
          PluginEntry p = route.plugins().get(j);
          if (p.mode() == FilterMode.OFF || !known.containsKey(p.name())) {
            continue;
          }
          if (!proxyPlugins.contains(p.name())) {
            problems.add(
                new ConfigError.Problem(
                    route.name(),
                    p.name(),
                    "routes[" + i + "].plugins[" + j + "].name",
                    "plugin '"
                        + p.name()
                        + "' is not installed on "
                        + target
                        + " (it has: "
                        + (proxyPlugins.isEmpty() ? "none" : String.join(", ", proxyPlugins))
                        + ")"));
          }
        }
      }
    }
    ChainBuilder builder = chains();
    for (int i = 0; i < config.routes().size(); i++) {
      RouteConfig route = config.routes().get(i);
      List<PluginConfigException.Problem> routeProblems = routeChecks.get(route);
      if (routeProblems == null) {
        try {
          builder.build(route, 1);
          routeProblems = List.of();
        } catch (PluginConfigException e) {
          routeProblems = e.problems();
        }
        routeChecks.put(route, routeProblems);
      }
      for (PluginConfigException.Problem p : routeProblems) {
        problems.add(p.toConfigProblem(i));
      }
    }
    return problems;
  }

  /** The chain builder over the current catalog, rebuilt when the catalog changed. */
  private ChainBuilder chains() {
    long revision = catalog.revision();
    if (chains != null && builtRevision == revision) {
      return chains;
    }
    if (host != null) {
      host.close();
    }
    List<FilterFactory<?>> factories = new ArrayList<>();
    for (PluginDescriptor d : catalog.all().values()) {
      factories.add(new DescriptorFactory(d));
    }
    try {
      host = PluginHost.load(emptyDir, PluginApi.VERSION, factories);
    } catch (IllegalArgumentException e) {
      // one descriptor has an unusable schema: keep the others
      List<FilterFactory<?>> usable = new ArrayList<>();
      for (FilterFactory<?> f : factories) {
        try {
          PluginHost.load(emptyDir, PluginApi.VERSION, List.of(f)).close();
          usable.add(f);
        } catch (IllegalArgumentException bad) {
          log.warn("plugin '{}' in the catalog is not usable: {}", f.name(), bad.getMessage());
        }
      }
      host = PluginHost.load(emptyDir, PluginApi.VERSION, usable);
    }
    chains = new ChainBuilder(host, services);
    routeChecks.clear();
    results.clear();
    builtRevision = revision;
    return chains;
  }

  @Override
  public synchronized void close() {
    if (host != null) {
      host.close();
    }
    services.close();
    registry.close();
    try {
      Files.deleteIfExists(emptyDir);
    } catch (IOException e) {
      log.debug("cannot delete {}: {}", emptyDir, e.toString());
    }
  }
}
