package io.plugmesh.pluginruntime;

import io.plugmesh.pluginruntime.jar.PluginJar;
import java.lang.ref.WeakReference;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * One started plugin version in the host: its loaded jar, the objects its filters share, the chains
 * built from it (weakly, to know when it is no longer used) and its state, started or retired.
 */
final class PluginVersion {

  /** Weak chain references are pruned whenever their count reaches a multiple of this. */
  private static final int PRUNE_USERS_EVERY = 64;

  private final PluginJar jar;
  private final ConcurrentMap<String, SharedObjects> shared = new ConcurrentHashMap<>();
  private final List<WeakReference<Object>> users = new ArrayList<>();

  // Guarded by the host's lock.
  private PluginInfo info;

  PluginVersion(PluginJar jar, Path source) {
    this.jar = jar;
    this.info =
        new PluginInfo(
            jar.id(),
            jar.version(),
            jar.requires(),
            source.toString(),
            PluginInfo.State.STARTED,
            "",
            jar.filters());
  }

  PluginJar jar() {
    return jar;
  }

  PluginInfo info() {
    return info;
  }

  /** Marks this version retired: replaced or removed, unloaded once no chain uses it. */
  void retire() {
    info =
        new PluginInfo(
            info.id(),
            info.version(),
            info.requires(),
            info.path(),
            PluginInfo.State.RETIRED,
            "",
            info.filters());
  }

  /** The shared-object registry of one of its filter names, created on first use. */
  SharedObjects sharedObjects(String factoryName) {
    return shared.computeIfAbsent(
        factoryName, name -> new SharedObjects(name, PluginHost.MAX_SHARED_OBJECTS_PER_PLUGIN));
  }

  /** Records that {@code chain} was built from this version; it stays loaded meanwhile. */
  void track(Object chain) {
    synchronized (users) {
      users.add(new WeakReference<>(chain));
      if (users.size() % PRUNE_USERS_EVERY == 0) {
        users.removeIf(ref -> ref.get() == null);
      }
    }
  }

  /** Whether a chain built from this version may still run. */
  boolean inUse() {
    synchronized (users) {
      users.removeIf(ref -> ref.get() == null);
      return !users.isEmpty();
    }
  }

  /** Closes and drops the objects its filters shared. */
  void closeShared() {
    shared.values().forEach(SharedObjects::close);
    shared.clear();
  }

  @Override
  public String toString() {
    return jar.toString();
  }
}
