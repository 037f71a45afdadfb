package io.plugmesh.pluginruntime;

import io.plugmesh.pluginruntime.jar.JarLoad;
import io.plugmesh.pluginruntime.jar.JarLoader;
import io.plugmesh.pluginruntime.jar.PluginDirectory;
import io.plugmesh.pluginruntime.jar.PluginDirectory.Staged;
import io.plugmesh.pluginruntime.jar.PluginDirectory.Stamp;
import java.io.IOException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reload transaction: reads the plugins directory again, loads what is new or changed, resolves
 * the conflicts, publishes the result at once, and then keeps it (the versions it replaced are
 * retired) or takes it back (the previous jars and view are restored, the new versions retired).
 *
 * <p>Not thread-safe: the plugin host calls it under its own lock.
 */
final class PluginReloader {
  private static final Logger log = LoggerFactory.getLogger(PluginReloader.class);

  private final PluginDirectory directory;
  private final JarLoader loader;
  private final PluginRegistry registry;
  private final Retirement retirement;
  private Map<Path, JarState> jars = new LinkedHashMap<>();

  /**
   * What one reload changed, and what taking it back needs.
   *
   * @param previousJars the jars before the reload
   * @param previousView the published view before the reload
   * @param replaced the versions no longer published: replaced, removed or superseded
   * @param fresh the versions this reload loaded and published
   * @param loaded the records of {@code fresh}
   * @param removed the records of {@code replaced}
   * @param failed the jars that changed but could not be loaded
   */
  record Change(
      Map<Path, JarState> previousJars,
      PluginRegistry.View previousView,
      List<PluginVersion> replaced,
      List<PluginVersion> fresh,
      List<PluginInfo> loaded,
      List<PluginInfo> removed,
      List<PluginInfo> failed) {}

  PluginReloader(
      PluginDirectory directory, JarLoader loader, PluginRegistry registry, Retirement retirement) {
    this.directory = directory;
    this.loader = loader;
    this.registry = registry;
    this.retirement = retirement;
  }

  /**
   * Reads the plugins directory again and publishes the result; unchanged jars are not touched.
   *
   * @return the change, to commit or roll back
   */
  Change reload() {
    Map<Path, JarState> before = jars;
    PluginRegistry.View viewBefore = registry.view();
    List<Path> paths = directory.list().orElseGet(() -> new ArrayList<>(before.keySet()));
    Map<Path, JarState> next = new LinkedHashMap<>();
    List<JarState> changed = new ArrayList<>();
    for (Path path : paths) {
      JarState old = before.get(path);
      Stamp stamp;
      try {
        stamp = Stamp.of(path);
      } catch (IOException e) {
        log.warn("cannot read plugin jar {}: {}", path, e.toString());
        if (old != null) {
          next.put(path, old);
        }
        continue;
      }
      if (old != null && old.stamp().equals(stamp) && !old.conflict()) {
        next.put(path, old);
        continue;
      }
      JarState jar = read(path, stamp, old != null && old.conflict() ? null : old);
      next.put(path, jar);
      if (!sameContent(jar, old)) {
        changed.add(jar);
      }
    }
    List<JarState> removedJars = new ArrayList<>();
    for (JarState old : before.values()) {
      if (!next.containsKey(old.source())) {
        removedJars.add(old);
      }
    }
    JarConflicts.resolve(next, changed, registry.builtinNames());

    List<PluginVersion> fresh = new ArrayList<>();
    List<PluginInfo> loadedInfos = new ArrayList<>();
    List<PluginInfo> failedInfos = new ArrayList<>();
    for (JarState jar : changed) {
      JarState now = next.get(jar.source());
      if (jar.version() != null) {
        fresh.add(jar.version());
        if (now.version() == jar.version()) {
          loadedInfos.add(now.info());
        }
      }
      if (now.info().state() == PluginInfo.State.FAILED) {
        failedInfos.add(now.info());
      }
    }
    // Loaded versions no longer published: replaced, removed or superseded.
    Set<PluginVersion> published = Collections.newSetFromMap(new IdentityHashMap<>());
    next.values().stream().map(JarState::version).filter(Objects::nonNull).forEach(published::add);
    List<PluginVersion> replaced = new ArrayList<>();
    List<PluginInfo> removedInfos = new ArrayList<>();
    for (JarState old : before.values()) {
      if (old.version() != null && !published.contains(old.version())) {
        replaced.add(old.version());
        removedInfos.add(old.info());
      }
    }
    // New versions that lost a conflict or failed after loading are never published.
    List<PluginVersion> unpublished = new ArrayList<>();
    for (PluginVersion version : fresh) {
      if (!published.contains(version)) {
        unpublished.add(version);
      }
    }
    fresh.removeAll(unpublished);
    retirement.retire(unpublished);

    jars = next;
    registry.publish(registry.compose(next.values()));
    logOutcome(removedJars, loadedInfos, failedInfos);
    return new Change(
        before,
        viewBefore,
        replaced,
        fresh,
        List.copyOf(loadedInfos),
        List.copyOf(removedInfos),
        List.copyOf(failedInfos));
  }

  /**
   * True when {@code jar} is {@code old} restamped: the file was touched or copied over with the
   * same bytes, so the version it serves is the one already published, neither loaded nor new.
   */
  private static boolean sameContent(JarState jar, JarState old) {
    return old != null
        && jar.version() == old.version()
        && MessageDigest.isEqual(jar.digest(), old.digest());
  }

  private static void logOutcome(
      List<JarState> removedJars, List<PluginInfo> loadedInfos, List<PluginInfo> failedInfos) {
    for (JarState jar : removedJars) {
      log.info("plugin jar {} was removed", jar.source());
    }
    for (PluginInfo info : loadedInfos) {
      log.info(
          "plugin {} {} loaded from {}: filters {}",
          info.id(),
          info.version(),
          info.path(),
          info.filters());
    }
    for (PluginInfo info : failedInfos) {
      log.error(
          "plugin {} {} ({}) failed: {}", info.id(), info.version(), info.path(), info.error());
    }
  }

  /** Keeps a change: the versions it replaced are released once no chain uses them. */
  void commit(Change change) {
    retirement.retire(change.replaced());
  }

  /** Takes a change back: the jars and view before it return, its new versions are released. */
  void rollback(Change change) {
    jars = change.previousJars();
    registry.publish(change.previousView());
    retirement.retire(change.fresh());
    log.warn(
        "plugin reload rolled back: kept {}, released {}",
        change.previousView().plugins().stream()
            .filter(p -> p.state() == PluginInfo.State.STARTED)
            .map(p -> p.id() + " " + p.version())
            .toList(),
        change.fresh());
  }

  /** The plugin versions published now. */
  List<PluginVersion> published() {
    return jars.values().stream().map(JarState::version).filter(Objects::nonNull).toList();
  }

  /**
   * Stages and loads one new or changed jar; returns {@code old} restamped when the content is the
   * same after all (only the file's time changed).
   */
  private JarState read(Path source, Stamp stamp, JarState old) {
    Staged staged;
    try {
      staged = directory.stage(source);
    } catch (IOException e) {
      return JarState.failed(
          source,
          stamp,
          new byte[0],
          JarLoader.idFromFileName(source),
          "",
          "",
          "cannot read: " + e.getMessage(),
          List.of());
    }
    if (old != null && MessageDigest.isEqual(old.digest(), staged.digest())) {
      PluginDirectory.deleteQuietly(staged.path());
      return old.restamped(stamp);
    }
    JarLoad load = loader.load(source, staged.path());
    if (load instanceof JarLoad.Started started) {
      PluginVersion version = new PluginVersion(started.jar(), source);
      registry.own(version);
      return JarState.loaded(source, stamp, staged.digest(), version);
    }
    JarLoad.Failed failed = (JarLoad.Failed) load;
    PluginDirectory.deleteQuietly(staged.path());
    return JarState.failed(
        source,
        stamp,
        staged.digest(),
        failed.id(),
        failed.version(),
        failed.requires(),
        failed.reason(),
        failed.declared());
  }
}
