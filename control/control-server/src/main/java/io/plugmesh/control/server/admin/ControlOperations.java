package io.plugmesh.control.server.admin;

import static java.util.Objects.requireNonNull;

import io.plugmesh.config.ConfigError;
import io.plugmesh.control.api.ResourceSet;
import io.plugmesh.control.api.v1.ApplyResponse;
import io.plugmesh.control.api.v1.DeleteResponse;
import io.plugmesh.control.api.v1.GetResponse;
import io.plugmesh.control.api.v1.Hello;
import io.plugmesh.control.api.v1.PluginDescriptor;
import io.plugmesh.control.api.v1.PluginsResponse;
import io.plugmesh.control.api.v1.Problem;
import io.plugmesh.control.api.v1.ProxyConfigResponse;
import io.plugmesh.control.api.v1.ProxyStatus;
import io.plugmesh.control.api.v1.StatusResponse;
import io.plugmesh.control.server.push.Distributor;
import io.plugmesh.control.server.push.Selection;
import io.plugmesh.control.server.push.StatusBook;
import io.plugmesh.control.server.registry.ServiceRegistry;
import io.plugmesh.control.server.store.DesiredState;
import io.plugmesh.control.server.store.Documents;
import io.plugmesh.control.server.store.Kind;
import io.plugmesh.control.server.store.Resource;
import io.plugmesh.control.server.store.StateStore;
import io.plugmesh.control.server.validate.PluginCatalog;
import io.plugmesh.control.server.validate.Validator;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * What the admin API does, shared by its gRPC and HTTP faces: apply (validate, then store), get,
 * delete, status, plugins and a proxy's config. Nothing is stored unless every check passes for the
 * whole catalog and for every connected proxy.
 */
public final class ControlOperations {
  private final StateStore store;
  private final Validator validator;
  private final PluginCatalog catalog;
  private final Distributor distributor;
  private final StatusBook status;
  private final ServiceRegistry registry;
  private final Runnable refreshCatalog;
  private final Supplier<List<ProxyStatus>> remoteStatus;

  /**
   * Creates the operations.
   *
   * @param store the desired state
   * @param validator the checks
   * @param catalog the plugin catalog
   * @param distributor the proxy streams
   * @param status this replica's proxy status
   * @param registry live instances
   * @param refreshCatalog reloads the catalog from the shared store before a check (or no-op)
   * @param remoteStatus statuses reported by other replicas (empty for a single node)
   */
  public ControlOperations(
      StateStore store,
      Validator validator,
      PluginCatalog catalog,
      Distributor distributor,
      StatusBook status,
      ServiceRegistry registry,
      Runnable refreshCatalog,
      Supplier<List<ProxyStatus>> remoteStatus) {
    this.store = requireNonNull(store, "store");
    this.validator = requireNonNull(validator, "validator");
    this.catalog = requireNonNull(catalog, "catalog");
    this.distributor = requireNonNull(distributor, "distributor");
    this.status = requireNonNull(status, "status");
    this.registry = requireNonNull(registry, "registry");
    this.refreshCatalog = requireNonNull(refreshCatalog, "refreshCatalog");
    this.remoteStatus = requireNonNull(remoteStatus, "remoteStatus");
  }

  /**
   * Validates a document against the stored state and, unless a dry run, stores it.
   *
   * @param document YAML or JSON in the config file format
   * @param dryRun only validate and compute the changes
   * @return the outcome: problems (nothing stored) or changes
   */
  public synchronized ApplyResponse apply(String document, boolean dryRun) {
    List<Resource> incoming;
    try {
      incoming = Documents.split(Documents.parse(document, "applied document"), "applied document");
    } catch (ConfigError e) {
      return rejected(e);
    }
    Set<Resource.Key> seen = new HashSet<>();
    List<ConfigError.Problem> dups = new ArrayList<>();
    for (Resource r : incoming) {
      if (!seen.add(r.key())) {
        dups.add(
            ConfigError.Problem.at(r.kind().plural(), r.key() + " appears twice (expected: once)"));
      }
    }
    if (!dups.isEmpty()) {
      return rejected(new ConfigError("applied document", dups));
    }
    DesiredState current = store.load();
    Map<Resource.Key, Resource> merged = new LinkedHashMap<>();
    current.all().forEach(r -> merged.put(r.key(), r));
    long next = current.maxSeq() + 1;
    for (Resource r : incoming) {
      Resource old = merged.get(r.key());
      merged.put(
          r.key(), new Resource(r.kind(), r.name(), r.tree(), old != null ? old.seq() : next++));
    }
    DesiredState candidate;
    try {
      candidate = check(DesiredState.of(current.revision(), new ArrayList<>(merged.values())));
    } catch (ConfigError e) {
      return rejected(e);
    }
    Map<Resource.Key, Resource> before = canonicalOrRaw(current);
    ApplyResponse.Builder b = ApplyResponse.newBuilder();
    List<Resource> puts = new ArrayList<>();
    for (Resource r : incoming) {
      Resource canonical = candidate.find(r.key()).orElseThrow();
      Resource old = before.get(r.key());
      if (old == null) {
        b.addChanges(r.key() + " created");
        puts.add(canonical);
      } else if (!Objects.equals(old.tree(), canonical.tree())) {
        b.addChanges(r.key() + " configured");
        puts.add(canonical);
      } else {
        b.addChanges(r.key() + " unchanged");
      }
    }
    if (dryRun || puts.isEmpty()) {
      return b.setRevision(current.revision())
          .setMessage(dryRun ? "dry run: nothing stored" : "no changes")
          .build();
    }
    long revision;
    try {
      revision = store.write(puts, List.of());
    } catch (StateStore.StoreException e) {
      return b.clearChanges().setMessage(e.getMessage()).build();
    }
    distributor.update(DesiredState.of(revision, candidate.all()));
    return b.setRevision(revision).setMessage("stored").build();
  }

  /**
   * Deletes resources, unless what remains fails the checks (e.g. a route still uses a cluster).
   *
   * @param kind the kind
   * @param names the names
   * @return the outcome
   */
  public synchronized DeleteResponse delete(Kind kind, List<String> names) {
    DesiredState current = store.load();
    List<Resource.Key> keys = new ArrayList<>();
    List<ConfigError.Problem> missing = new ArrayList<>();
    for (String n : names) {
      Resource.Key k = new Resource.Key(kind, n);
      if (current.find(k).isEmpty()) {
        missing.add(
            ConfigError.Problem.at(
                kind.plural(), k + " not found (expected: a stored " + kind.singular() + ")"));
      }
      keys.add(k);
    }
    if (!missing.isEmpty()) {
      ConfigError e = new ConfigError("delete", missing);
      return DeleteResponse.newBuilder()
          .addAllProblems(problems(e))
          .setMessage(e.getMessage())
          .build();
    }
    List<Resource> remaining = new ArrayList<>(current.all());
    remaining.removeIf(r -> keys.contains(r.key()));
    DesiredState checked;
    try {
      checked = check(DesiredState.of(current.revision(), remaining));
    } catch (ConfigError e) {
      return DeleteResponse.newBuilder()
          .addAllProblems(problems(e))
          .setMessage(e.getMessage())
          .build();
    }
    long revision;
    try {
      revision = store.write(List.of(), keys);
    } catch (StateStore.StoreException e) {
      return DeleteResponse.newBuilder().setMessage(e.getMessage()).build();
    }
    distributor.update(DesiredState.of(revision, checked.all()));
    DeleteResponse.Builder b = DeleteResponse.newBuilder().setRevision(revision);
    keys.forEach(k -> b.addDeleted(k.toString()));
    return b.setMessage("deleted").build();
  }

  /**
   * Canonicalizes a state and checks it for the whole catalog and every connected proxy.
   *
   * @throws ConfigError naming every problem
   */
  private DesiredState check(DesiredState state) {
    refreshCatalog.run();
    DesiredState canonical = validator.canonical(state);
    List<ConfigError.Problem> problems =
        new ArrayList<>(
            validator.check(Selection.catalogTarget(canonical), null, "the plugin catalog"));
    if (problems.isEmpty()) {
      Set<String> groups = new HashSet<>();
      var instances = registry.instances();
      for (Hello h : distributor.connected()) {
        Set<String> plugins = new java.util.TreeSet<>();
        h.getPluginsList().forEach(p -> plugins.add(p.getName()));
        if (!groups.add(h.getService() + "|" + new TreeMap<>(h.getLabelsMap()) + "|" + plugins)) {
          continue;
        }
        String target = "proxy '" + h.getNodeId() + "' (service '" + h.getService() + "')";
        List<ConfigError.Problem> p =
            validator.check(
                Selection.select(canonical, instances, h.getService(), h.getLabelsMap()),
                plugins,
                target);
        if (!p.isEmpty()) {
          throw new ConfigError("for " + target, p);
        }
      }
    }
    if (!problems.isEmpty()) {
      throw new ConfigError(problems);
    }
    return canonical;
  }

  private Map<Resource.Key, Resource> canonicalOrRaw(DesiredState state) {
    DesiredState s = distributor.state();
    if (s.revision() != state.revision()) {
      try {
        s = validator.canonical(state);
      } catch (ConfigError e) {
        s = state;
      }
    }
    Map<Resource.Key, Resource> m = new LinkedHashMap<>();
    s.all().forEach(r -> m.put(r.key(), r));
    return m;
  }

  private static ApplyResponse rejected(ConfigError e) {
    return ApplyResponse.newBuilder()
        .addAllProblems(problems(e))
        .setMessage(e.getMessage())
        .build();
  }

  /**
   * A config error's problems as protobuf.
   *
   * @param e the error
   * @return the problems
   */
  public static List<Problem> problems(ConfigError e) {
    List<Problem> out = new ArrayList<>();
    for (ConfigError.Problem p : e.problems()) {
      out.add(
          Problem.newBuilder()
              .setRoute(p.route() == null ? "" : p.route())
              .setPlugin(p.plugin() == null ? "" : p.plugin())
              .setField(p.field())
              .setMessage(p.message())
              .build());
    }
    return out;
  }

  /**
   * Stored resources as a document.
   *
   * @param kind a kind, or null for all
   * @param name one name, or null/empty for all
   * @return the document (JSON) and revision
   */
  public GetResponse get(Kind kind, String name) {
    DesiredState state = store.load();
    Map<String, Object> doc = new LinkedHashMap<>();
    for (Kind k : Kind.values()) {
      if (kind != null && k != kind) {
        continue;
      }
      List<Object> items = new ArrayList<>();
      for (Resource r : state.of(k)) {
        if (name == null || name.isEmpty() || r.name().equals(name)) {
          items.add(r.tree());
        }
      }
      doc.put(k.plural(), items);
    }
    return GetResponse.newBuilder()
        .setDocument(Documents.json(doc))
        .setRevision(state.revision())
        .build();
  }

  /**
   * Every known proxy's status: this replica's, plus other replicas' from the shared store.
   *
   * @return the statuses
   */
  public StatusResponse status() {
    Map<String, ProxyStatus> byNode = new TreeMap<>();
    for (ProxyStatus s : remoteStatus.get()) {
      byNode.put(s.getNodeId(), s);
    }
    for (ProxyStatus s : status.all()) {
      ProxyStatus other = byNode.get(s.getNodeId());
      if (other == null || s.getConnected() || !other.getConnected()) {
        byNode.put(s.getNodeId(), s);
      }
    }
    return StatusResponse.newBuilder().addAllProxies(byNode.values()).build();
  }

  /**
   * The plugin catalog.
   *
   * @return every descriptor
   */
  public PluginsResponse plugins() {
    refreshCatalog.run();
    return PluginsResponse.newBuilder().addAllPlugins(catalog.all().values()).build();
  }

  /**
   * A connected proxy's config.
   *
   * @param node the node id
   * @return the config, or empty when the proxy is not connected to this replica
   */
  public Optional<ProxyConfigResponse> proxyConfig(String node) {
    return distributor
        .configOf(node)
        .map(
            e -> {
              ResourceSet set = e.getValue();
              List<PluginDescriptor> plugins = e.getKey().getPluginsList();
              return ProxyConfigResponse.newBuilder()
                  .setDocument(Documents.json(set.configTree()))
                  .setVersion(set.version())
                  .addAllPlugins(plugins)
                  .build();
            });
  }
}
