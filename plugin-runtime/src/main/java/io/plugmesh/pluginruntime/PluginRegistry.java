package io.plugmesh.pluginruntime;

import static java.util.Objects.requireNonNull;

import io.plugmesh.filters.FilterFactory;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The live filter factories routes are built from: the built-ins, then the published plugin
 * versions, as one view replaced as a whole on every reload, so a lookup never sees half a reload.
 * Also knows which plugin version owns a factory, for its shared objects and to keep it loaded
 * while chains built from it run.
 */
final class PluginRegistry {
  private final Map<String, FilterFactory<?>> builtins;
  private final List<PluginInfo> builtinInfos;
  private final ConcurrentMap<String, SharedObjects> builtinShared = new ConcurrentHashMap<>();
  private final Map<FilterFactory<?>, PluginVersion> owners =
      Collections.synchronizedMap(new IdentityHashMap<>());
  private volatile View view;

  /** What routes see: the published factories and plugin records. */
  record View(
      Map<String, FilterFactory<?>> factories,
      Map<String, PluginInfo> pluginByFilter,
      Map<String, String> unavailable,
      List<PluginInfo> plugins) {}

  /**
   * Registers the built-in factories, each admitted like a plugin's.
   *
   * @throws IllegalArgumentException if a built-in is invalid or two share a name
   */
  PluginRegistry(String apiVersion, List<FilterFactory<?>> builtinList, FactoryAdmission check) {
    Map<String, FilterFactory<?>> factories = new LinkedHashMap<>();
    List<PluginInfo> infos = new ArrayList<>();
    for (FilterFactory<?> builtin : builtinList) {
      requireNonNull(builtin, "builtin");
      String name = check.admit(builtin);
      if (factories.containsKey(name)) {
        throw new IllegalArgumentException(
            "built-in filter '" + name + "' is registered twice (expected: unique names)");
      }
      factories.put(name, builtin);
      infos.add(
          new PluginInfo(name, apiVersion, "", "", PluginInfo.State.BUILTIN, "", List.of(name)));
    }
    this.builtins = Collections.unmodifiableMap(factories);
    this.builtinInfos = List.copyOf(infos);
    this.view = compose(List.of());
  }

  /** The built-in filter names, which no plugin may take. */
  Set<String> builtinNames() {
    return builtins.keySet();
  }

  View view() {
    return view;
  }

  /** Publishes a view for every lookup from now on. */
  void publish(View next) {
    view = next;
  }

  /** The view of the built-ins plus every jar's current state, in path order. */
  View compose(Collection<JarState> jars) {
    Map<String, FilterFactory<?>> factories = new LinkedHashMap<>(builtins);
    Map<String, PluginInfo> pluginByFilter = new HashMap<>();
    builtinInfos.forEach(info -> pluginByFilter.put(info.id(), info));
    Map<String, String> unavailable = new HashMap<>();
    List<PluginInfo> infos = new ArrayList<>(builtinInfos);
    for (JarState jar : jars) {
      infos.add(jar.info());
      if (jar.version() != null) {
        Map<String, FilterFactory<?>> provided = jar.version().jar().factories();
        factories.putAll(provided);
        provided.keySet().forEach(name -> pluginByFilter.put(name, jar.info()));
      } else {
        unavailable.putIfAbsent(jar.info().id(), jar.info().error());
        for (String name : jar.info().filters()) {
          unavailable.putIfAbsent(name, jar.info().error());
        }
      }
    }
    // A name once unavailable but provided by another plugin is available after all.
    unavailable.keySet().removeAll(factories.keySet());
    return new View(
        Collections.unmodifiableMap(factories),
        Map.copyOf(pluginByFilter),
        Map.copyOf(unavailable),
        List.copyOf(infos));
  }

  /** Records a loaded version as the owner of its factories. */
  void own(PluginVersion version) {
    version.jar().factories().values().forEach(f -> owners.put(f, version));
  }

  /** Forgets a version that is being unloaded as the owner of its factories. */
  void disown(PluginVersion version) {
    version.jar().factories().values().forEach(owners::remove);
  }

  Optional<FilterFactory<?>> factory(String name) {
    return Optional.ofNullable(view.factories().get(requireNonNull(name, "name")));
  }

  List<String> filterNames() {
    return view.factories().keySet().stream().sorted().toList();
  }

  Optional<PluginInfo> pluginFor(String factoryName) {
    return Optional.ofNullable(
        view.pluginByFilter().get(requireNonNull(factoryName, "factoryName")));
  }

  List<PluginInfo> plugins() {
    return view.plugins();
  }

  Optional<String> failureReason(String factoryName) {
    return Optional.ofNullable(view.unavailable().get(requireNonNull(factoryName, "factoryName")));
  }

  /**
   * The shared-object registry of one filter name: per loaded plugin version (a new version starts
   * with none), or the built-ins' own.
   */
  SharedObjects sharedObjects(String factoryName, FilterFactory<?> factory) {
    PluginVersion version = owners.get(factory);
    if (version != null) {
      return version.sharedObjects(factoryName);
    }
    return builtinShared.computeIfAbsent(
        factoryName, name -> new SharedObjects(name, PluginHost.MAX_SHARED_OBJECTS_PER_PLUGIN));
  }

  /** Records that {@code chain} was built with {@code factory}; its version stays loaded. */
  void track(FilterFactory<?> factory, Object chain) {
    PluginVersion version = owners.get(factory);
    if (version != null) {
      version.track(chain);
    }
  }

  /** Closes the objects the built-in filters shared. */
  void closeBuiltinShared() {
    builtinShared.values().forEach(SharedObjects::close);
  }
}
