package io.plugmesh.pluginruntime;

import static java.util.Objects.requireNonNull;

import io.plugmesh.filters.FilterFactory;
import io.plugmesh.filters.FilterServices;
import java.io.IOException;
import java.io.InputStream;
import java.lang.ref.WeakReference;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.regex.Pattern;
import org.pf4j.DefaultVersionManager;
import org.pf4j.ExtensionWrapper;
import org.pf4j.PluginDescriptor;
import org.pf4j.PluginState;
import org.pf4j.PluginWrapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads filter plugins (PF4J jars) from a directory next to the kernel's built-in filters, keeps
 * their factories, their state and their shared objects, and reloads them while the proxy runs.
 *
 * <p>A plugin that cannot be loaded or started (unreadable jar, incompatible {@code
 * plugin.requires}, a factory that cannot be created, a filter name already taken) is recorded as
 * {@link PluginInfo.State#FAILED} with the reason and logged; the other plugins load on. Routes
 * naming a failed plugin's filter get a link that answers 503 (see {@link ChainBuilder}).
 *
 * <p>Each jar is copied to a private staging folder and loaded from there in a PF4J manager of its
 * own, so a jar in the plugins directory may be overwritten or removed at any time, and two
 * versions of one plugin can be loaded side by side. {@link #reload()} loads new and changed jars
 * and switches filter names to them for the chains built next; the versions they replace are {@link
 * PluginInfo.State#RETIRED} and unloaded (shared objects closed, class loader closed, staged copy
 * deleted) once no chain built from them is reachable any more, i.e. once the last request on an
 * older config version finished. Plugin dependencies ({@code plugin.dependencies}) are not
 * supported: every plugin jar is self-contained.
 */
public final class PluginHost implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PluginHost.class);

  /** Most objects one plugin may keep through {@link FilterServices#shared}; default 256. */
  public static final int MAX_SHARED_OBJECTS_PER_PLUGIN = 256;

  /** Most jars read from the plugins directory; more are ignored with a warning. Default 256. */
  public static final int MAX_PLUGIN_JARS = 256;

  /** How often retired plugins are checked for release while some wait; default 1 s. */
  public static final long RELEASE_CHECK_MILLIS = 1000;

  /** Filter names: lower case, digits and dashes, starting with a letter, at most 64 chars. */
  private static final Pattern FILTER_NAME = Pattern.compile("[a-z][a-z0-9-]{0,63}");

  /** A failure reason longer than this is shortened in {@link PluginInfo#error()}. */
  private static final int MAX_REASON_CHARS = 500;

  /** Weak chain references of one plugin are pruned whenever their count reaches a multiple. */
  private static final int PRUNE_USERS_EVERY = 64;

  private static final String JAR_SUFFIX = ".jar";

  private final String apiVersion;
  private final Path pluginsDir;
  private final ConfigSchemas schemas = new ConfigSchemas();
  private final Map<String, FilterFactory<?>> builtins;
  private final List<PluginInfo> builtinInfos;
  private final ConcurrentMap<String, SharedObjects> builtinShared = new ConcurrentHashMap<>();
  private final Map<FilterFactory<?>, Loaded> owners =
      Collections.synchronizedMap(new IdentityHashMap<>());
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile View view;

  // Guarded by this.
  private Map<Path, Jar> jars = new LinkedHashMap<>();
  private final List<Loaded> retired = new ArrayList<>();
  private Path staging;
  private long generation;
  private ScheduledExecutorService releaser;

  /** What routes see: the published factories and plugin records, replaced as a whole. */
  private record View(
      Map<String, FilterFactory<?>> factories,
      Map<String, PluginInfo> pluginByFilter,
      Map<String, String> unavailable,
      List<PluginInfo> plugins) {}

  /** Size and modification time of a jar, to notice a change without reading it. */
  private record Stamp(long size, long modified) {
    static Stamp of(Path path) throws IOException {
      return new Stamp(Files.size(path), Files.getLastModifiedTime(path).toMillis());
    }
  }

  /**
   * What one jar of the plugins directory is to the host: loaded, or failed with a reason. A jar
   * that lost a conflict (superseded, or a filter name taken) is tried again on every reload, as
   * the jar it lost to may be gone.
   */
  private record Jar(
      Path source, Stamp stamp, byte[] digest, Loaded loaded, PluginInfo info, boolean conflict) {

    Jar(Path source, Stamp stamp, byte[] digest, Loaded loaded, PluginInfo info) {
      this(source, stamp, digest, loaded, info, false);
    }

    Jar failed(String reason) {
      return new Jar(
          source,
          stamp,
          digest,
          null,
          new PluginInfo(
              info.id(),
              info.version(),
              info.requires(),
              info.path(),
              PluginInfo.State.FAILED,
              shorten(reason),
              info.filters()),
          true);
    }
  }

  /** One loaded plugin version: its own PF4J manager, factories, shared objects and users. */
  private static final class Loaded {
    final long generation;
    final Path staged;
    final KernelPluginManager manager;
    final String id;
    final String version;
    final Map<String, FilterFactory<?>> factories;
    final ConcurrentMap<String, SharedObjects> shared = new ConcurrentHashMap<>();
    final List<WeakReference<Object>> users = new ArrayList<>();
    PluginInfo info;

    Loaded(
        long generation,
        Path staged,
        KernelPluginManager manager,
        String id,
        String version,
        Map<String, FilterFactory<?>> factories) {
      this.generation = generation;
      this.staged = staged;
      this.manager = manager;
      this.id = id;
      this.version = version;
      this.factories = factories;
    }

    /** Whether a chain built from this plugin may still run. */
    boolean inUse() {
      synchronized (users) {
        users.removeIf(ref -> ref.get() == null);
        return !users.isEmpty();
      }
    }

    @Override
    public String toString() {
      return id + " " + version;
    }
  }

  private PluginHost(String apiVersion, Path pluginsDir, List<FilterFactory<?>> builtinList) {
    this.apiVersion = apiVersion;
    this.pluginsDir = pluginsDir;
    Map<String, FilterFactory<?>> factories = new LinkedHashMap<>();
    List<PluginInfo> infos = new ArrayList<>();
    for (FilterFactory<?> builtin : builtinList) {
      requireNonNull(builtin, "builtin");
      String name = checkFactory(builtin, schemas);
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
    this.view = compose(Map.of());
  }

  /**
   * Loads and starts every plugin jar in {@code pluginsDir} and registers the built-in factories.
   *
   * @param pluginsDir the plugins directory (fat jars with {@code plugin.properties} or MANIFEST
   *     {@code Plugin-*} entries); a missing directory means no plugins until one appears and is
   *     reloaded
   * @param apiVersion the plugin API version this kernel offers; {@code plugin.requires} is checked
   *     against it
   * @param builtins factories provided by the kernel (or a test), registered first
   * @return the host
   * @throws IllegalArgumentException if a built-in factory is invalid (bad name or schema) or two
   *     built-ins share a name
   */
  public static PluginHost load(
      Path pluginsDir, String apiVersion, List<FilterFactory<?>> builtins) {
    requireNonNull(pluginsDir, "pluginsDir");
    requireNonNull(apiVersion, "apiVersion");
    requireNonNull(builtins, "builtins");
    PluginHost host = new PluginHost(apiVersion, pluginsDir, builtins);
    if (!Files.isDirectory(pluginsDir)) {
      log.warn(
          "plugins directory {} does not exist; running with built-in filters only ({})",
          pluginsDir,
          host.builtins.keySet());
    } else {
      host.reload().commit();
    }
    log.info(
        "plugin host ready: API {}, filters {}, failed plugins {}",
        apiVersion,
        host.filterNames(),
        host.plugins().stream()
            .filter(i -> i.state() == PluginInfo.State.FAILED)
            .map(PluginInfo::id)
            .toList());
    return host;
  }

  /**
   * The outcome of one {@link #reload()}: already visible to chains built from now on, and either
   * committed (the versions it replaced are retired) or rolled back (the previous plugins are
   * restored, the new ones unloaded).
   */
  public final class Reload {
    private final Map<Path, Jar> previousJars;
    private final View previousView;
    private final List<Loaded> replaced;
    private final List<Loaded> fresh;
    private final List<PluginInfo> loadedInfos;
    private final List<PluginInfo> removedInfos;
    private final List<PluginInfo> failedInfos;
    private boolean done;

    private Reload(
        Map<Path, Jar> previousJars,
        View previousView,
        List<Loaded> replaced,
        List<Loaded> fresh,
        List<PluginInfo> loadedInfos,
        List<PluginInfo> removedInfos,
        List<PluginInfo> failedInfos) {
      this.previousJars = previousJars;
      this.previousView = previousView;
      this.replaced = replaced;
      this.fresh = fresh;
      this.loadedInfos = List.copyOf(loadedInfos);
      this.removedInfos = List.copyOf(removedInfos);
      this.failedInfos = List.copyOf(failedInfos);
    }

    /**
     * Whether the set of usable filters changed (a plugin was loaded, replaced or removed).
     *
     * @return true if chains should be rebuilt
     */
    public boolean changed() {
      return !loadedInfos.isEmpty() || !removedInfos.isEmpty();
    }

    /**
     * The plugin versions loaded by this reload and now used for new chains.
     *
     * @return the plugins
     */
    public List<PluginInfo> loaded() {
      return loadedInfos;
    }

    /**
     * The plugin versions replaced or removed by this reload.
     *
     * @return the plugins
     */
    public List<PluginInfo> removed() {
      return removedInfos;
    }

    /**
     * The jars that changed but could not be loaded (the version before them, if any, stays).
     *
     * @return the failed plugins with their reasons
     */
    public List<PluginInfo> failed() {
      return failedInfos;
    }

    /** Keeps the new plugins; the replaced versions are released once no chain uses them. */
    public void commit() {
      synchronized (PluginHost.this) {
        finish();
        retire(replaced);
      }
    }

    /** Restores the plugins as they were before the reload and releases the new ones. */
    public void rollback() {
      synchronized (PluginHost.this) {
        finish();
        jars = previousJars;
        view = previousView;
        retire(fresh);
        log.warn(
            "plugin reload rolled back: kept {}, released {}",
            previousView.plugins().stream()
                .filter(p -> p.state() == PluginInfo.State.STARTED)
                .map(p -> p.id() + " " + p.version())
                .toList(),
            fresh);
      }
    }

    private void finish() {
      if (done) {
        throw new IllegalStateException("reload already committed or rolled back");
      }
      done = true;
    }
  }

  /**
   * Reads the plugins directory again: jars that are new or whose content changed are loaded as new
   * plugin versions, removed jars are dropped, and a jar holding a newer version of an already
   * loaded plugin id supersedes the older one. The result is published at once for chains built
   * from now on; the caller rebuilds its chains and then commits, or rolls back if they do not
   * build. Unchanged jars are not touched. Callers serialize reloads with the building of chains
   * (the kernel does both under its own lock), and commit or roll back each reload before the next.
   *
   * @return the reload, to commit or roll back
   */
  public synchronized Reload reload() {
    if (closed.get()) {
      throw new IllegalStateException("plugin host is closed");
    }
    Map<Path, Jar> before = jars;
    View viewBefore = view;
    List<Path> paths = listJars();
    Map<Path, Jar> next = new LinkedHashMap<>();
    List<Jar> changed = new ArrayList<>();
    for (Path path : paths) {
      Jar old = before.get(path);
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
      Jar jar = loadJar(path, stamp, old != null && old.conflict() ? null : old);
      next.put(path, jar);
      if (jar != old) {
        changed.add(jar);
      }
    }
    List<Jar> removedJars = new ArrayList<>();
    for (Jar old : before.values()) {
      if (!next.containsKey(old.source())) {
        removedJars.add(old);
      }
    }
    resolveConflicts(next, changed);

    List<Loaded> fresh = new ArrayList<>();
    List<PluginInfo> loadedInfos = new ArrayList<>();
    List<PluginInfo> failedInfos = new ArrayList<>();
    for (Jar jar : changed) {
      if (jar.loaded() != null) {
        fresh.add(jar.loaded());
        Jar now = next.get(jar.source());
        if (now.loaded() == jar.loaded()) {
          loadedInfos.add(now.info());
        }
      }
      Jar now = next.get(jar.source());
      if (now.info().state() == PluginInfo.State.FAILED) {
        failedInfos.add(now.info());
      }
    }
    // Loaded versions no longer published: replaced, removed or superseded.
    Set<Loaded> published = Collections.newSetFromMap(new IdentityHashMap<>());
    next.values().stream().map(Jar::loaded).filter(l -> l != null).forEach(published::add);
    List<Loaded> replaced = new ArrayList<>();
    List<PluginInfo> removedInfos = new ArrayList<>();
    for (Jar old : before.values()) {
      if (old.loaded() != null && !published.contains(old.loaded())) {
        replaced.add(old.loaded());
        removedInfos.add(old.info());
      }
    }
    // New versions that lost a conflict or failed after loading are never published.
    List<Loaded> unpublished = new ArrayList<>();
    for (Loaded loaded : fresh) {
      if (!published.contains(loaded)) {
        unpublished.add(loaded);
      }
    }
    fresh.removeAll(unpublished);
    retire(unpublished);

    jars = next;
    view = compose(next);
    for (Jar jar : removedJars) {
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
    return new Reload(before, viewBefore, replaced, fresh, loadedInfos, removedInfos, failedInfos);
  }

  /** The jars of the plugins directory, sorted by path, at most {@link #MAX_PLUGIN_JARS}. */
  private List<Path> listJars() {
    if (!Files.isDirectory(pluginsDir)) {
      return List.of();
    }
    List<Path> found = new ArrayList<>();
    try (DirectoryStream<Path> dir = Files.newDirectoryStream(pluginsDir)) {
      for (Path path : dir) {
        if (path.getFileName().toString().endsWith(JAR_SUFFIX) && Files.isRegularFile(path)) {
          found.add(path);
        }
      }
    } catch (IOException e) {
      log.error("cannot list plugins directory {}: {}", pluginsDir, e.toString());
      return new ArrayList<>(jars.keySet());
    }
    found.sort(Comparator.comparing(Path::toString));
    if (found.size() > MAX_PLUGIN_JARS) {
      log.warn(
          "plugins directory {} holds {} jars; only the first {} are read",
          pluginsDir,
          found.size(),
          MAX_PLUGIN_JARS);
      return List.copyOf(found.subList(0, MAX_PLUGIN_JARS));
    }
    return found;
  }

  /**
   * Stages and loads one new or changed jar; returns {@code old} when the content is the same after
   * all (only the file's time changed).
   */
  private Jar loadJar(Path source, Stamp stamp, Jar old) {
    long gen = ++generation;
    Path staged;
    byte[] digest;
    try {
      if (staging == null) {
        staging = Files.createTempDirectory("plugmesh-plugins-");
      }
      staged = staging.resolve(gen + "-" + source.getFileName());
      digest = copyWithDigest(source, staged);
    } catch (IOException e) {
      String reason = "cannot read: " + e.getMessage();
      return new Jar(
          source,
          stamp,
          new byte[0],
          null,
          failedInfo(idFromFileName(source), "", "", source, reason, List.of()));
    }
    if (old != null && MessageDigest.isEqual(old.digest(), digest)) {
      deleteQuietly(staged);
      return new Jar(source, stamp, digest, old.loaded(), old.info());
    }
    KernelPluginManager manager = new KernelPluginManager(pluginsDir, apiVersion);
    String id;
    try {
      id = manager.loadPlugin(staged);
    } catch (RuntimeException | LinkageError e) {
      String reason = shorten(describeLoadFailure(staged, e));
      deleteQuietly(staged);
      return new Jar(
          source,
          stamp,
          digest,
          null,
          failedInfo(idFromFileName(source), "", "", source, reason, List.of()));
    }
    PluginWrapper wrapper = manager.getPlugin(id);
    try {
      manager.startPlugins();
    } catch (RuntimeException e) {
      log.debug("starting plugin {} failed", id, e);
    }
    PluginDescriptor d = wrapper.getDescriptor();
    String requires = d.getRequires() == null ? "" : d.getRequires();
    String version = d.getVersion() == null ? "" : d.getVersion();
    List<String> declared = new ArrayList<>();
    Map<String, FilterFactory<?>> own = new LinkedHashMap<>();
    String reason = startFailure(manager, wrapper);
    if (reason == null) {
      reason = discover(manager, wrapper, schemas, own, declared);
    }
    if (reason != null) {
      own.keySet().forEach(name -> schemas.forget(own.get(name)));
      release(manager, id);
      deleteQuietly(staged);
      return new Jar(
          source, stamp, digest, null, failedInfo(id, version, requires, source, reason, declared));
    }
    Loaded loaded = new Loaded(gen, staged, manager, id, version, Map.copyOf(own));
    loaded.info =
        new PluginInfo(
            id,
            version,
            requires,
            source.toString(),
            PluginInfo.State.STARTED,
            "",
            List.copyOf(own.keySet()));
    own.values().forEach(f -> owners.put(f, loaded));
    return new Jar(source, stamp, digest, loaded, loaded.info);
  }

  private static PluginInfo failedInfo(
      String id,
      String version,
      String requires,
      Path source,
      String reason,
      List<String> declared) {
    return new PluginInfo(
        id,
        version,
        requires,
        source.toString(),
        PluginInfo.State.FAILED,
        shorten(reason),
        declared);
  }

  /**
   * Decides which loaded jars are published: one version per plugin id (the highest; on a tie the
   * one already published) and one plugin per filter name (built-ins first, then jars already
   * published, then changed jars in path order). Losers become failed entries in {@code next}.
   */
  private void resolveConflicts(Map<Path, Jar> next, List<Jar> changed) {
    Set<Path> changedPaths = new HashSet<>();
    changed.forEach(j -> changedPaths.add(j.source()));
    List<Jar> order = new ArrayList<>();
    next.values().stream().filter(j -> !changedPaths.contains(j.source())).forEach(order::add);
    next.values().stream().filter(j -> changedPaths.contains(j.source())).forEach(order::add);

    Map<String, Jar> byId = new HashMap<>();
    for (Jar jar : order) {
      if (jar.loaded() == null) {
        continue;
      }
      Jar other = byId.get(jar.loaded().id);
      if (other == null) {
        byId.put(jar.loaded().id, jar);
        continue;
      }
      int cmp = compareVersions(jar.loaded().version, other.loaded().version);
      Jar winner = cmp > 0 ? jar : other;
      Jar loser = winner == jar ? other : jar;
      byId.put(jar.loaded().id, winner);
      next.put(
          loser.source(),
          loser.failed(
              "plugin '"
                  + loser.loaded().id
                  + "' "
                  + loser.loaded().version
                  + " is superseded by version "
                  + winner.loaded().version
                  + " from "
                  + winner.source()
                  + " (expected: one jar per plugin id; remove the older one)"));
    }
    Map<String, String> taken = new HashMap<>();
    builtins.keySet().forEach(name -> taken.put(name, "the kernel (built-in)"));
    for (Jar jar : order) {
      Jar current = next.get(jar.source());
      if (current.loaded() == null) {
        continue;
      }
      String clash = null;
      for (Map.Entry<String, FilterFactory<?>> e : current.loaded().factories.entrySet()) {
        String owner = taken.get(e.getKey());
        if (owner != null) {
          clash =
              "filter name '"
                  + e.getKey()
                  + "' of "
                  + e.getValue().getClass().getName()
                  + " is already provided by "
                  + owner
                  + " (expected: unique filter names)";
          break;
        }
      }
      if (clash != null) {
        next.put(jar.source(), current.failed(clash));
        continue;
      }
      for (String name : current.loaded().factories.keySet()) {
        taken.put(name, "plugin '" + current.loaded().id + "'");
      }
    }
  }

  private static int compareVersions(String a, String b) {
    try {
      return new DefaultVersionManager().compareVersions(a, b);
    } catch (RuntimeException e) {
      return a.compareTo(b);
    }
  }

  /** The published view of built-ins plus every jar's current state. */
  private View compose(Map<Path, Jar> current) {
    Map<String, FilterFactory<?>> factories = new LinkedHashMap<>(builtins);
    Map<String, PluginInfo> pluginByFilter = new HashMap<>();
    builtinInfos.forEach(info -> pluginByFilter.put(info.id(), info));
    Map<String, String> unavailable = new HashMap<>();
    List<PluginInfo> infos = new ArrayList<>(builtinInfos);
    for (Jar jar : current.values()) {
      infos.add(jar.info());
      if (jar.loaded() != null) {
        factories.putAll(jar.loaded().factories);
        jar.loaded().factories.keySet().forEach(name -> pluginByFilter.put(name, jar.info()));
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

  /** Moves plugin versions to the retired list and checks at once whether they can go. */
  private void retire(List<Loaded> versions) {
    for (Loaded loaded : versions) {
      loaded.info =
          new PluginInfo(
              loaded.info.id(),
              loaded.info.version(),
              loaded.info.requires(),
              loaded.info.path(),
              PluginInfo.State.RETIRED,
              "",
              loaded.info.filters());
      retired.add(loaded);
    }
    if (!versions.isEmpty()) {
      releaseUnused();
      if (!retired.isEmpty() && releaser == null && !closed.get()) {
        releaser =
            Executors.newSingleThreadScheduledExecutor(
                r -> {
                  Thread t = new Thread(r, "plugmesh-plugin-release");
                  t.setDaemon(true);
                  return t;
                });
        releaser.scheduleWithFixedDelay(
            this::releaseUnused, RELEASE_CHECK_MILLIS, RELEASE_CHECK_MILLIS, TimeUnit.MILLISECONDS);
      }
    }
  }

  /**
   * Unloads every retired plugin version no chain uses any more: closes its shared objects, stops
   * it, closes its class loader and deletes its staged jar. Runs periodically while some wait;
   * callable any time.
   *
   * @return how many retired versions still wait for their last requests
   */
  public synchronized int releaseUnused() {
    for (Iterator<Loaded> it = retired.iterator(); it.hasNext(); ) {
      Loaded loaded = it.next();
      if (loaded.inUse()) {
        continue;
      }
      it.remove();
      unload(loaded);
      log.info("plugin {} {} released", loaded.id, loaded.version);
    }
    return retired.size();
  }

  private void unload(Loaded loaded) {
    loaded.shared.values().forEach(SharedObjects::close);
    loaded.shared.clear();
    for (FilterFactory<?> factory : loaded.factories.values()) {
      owners.remove(factory);
      schemas.forget(factory);
    }
    release(loaded.manager, loaded.id);
    deleteQuietly(loaded.staged);
  }

  /**
   * The plugin versions retired by a reload and not yet released.
   *
   * @return the plugins, state {@link PluginInfo.State#RETIRED}
   */
  public synchronized List<PluginInfo> retired() {
    return retired.stream().map(l -> l.info).toList();
  }

  /**
   * The plugins directory.
   *
   * @return the directory
   */
  public Path pluginsDir() {
    return pluginsDir;
  }

  /**
   * Records that {@code chain} was built with {@code factory}; its plugin stays loaded meanwhile.
   */
  void track(FilterFactory<?> factory, Object chain) {
    Loaded loaded = owners.get(factory);
    if (loaded == null) {
      return;
    }
    synchronized (loaded.users) {
      loaded.users.add(new WeakReference<>(chain));
      if (loaded.users.size() % PRUNE_USERS_EVERY == 0) {
        loaded.users.removeIf(ref -> ref.get() == null);
      }
    }
  }

  private static byte[] copyWithDigest(Path source, Path target) throws IOException {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    try (InputStream in = new DigestInputStream(Files.newInputStream(source), sha)) {
      Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
    }
    return sha.digest();
  }

  private static void deleteQuietly(Path path) {
    try {
      Files.deleteIfExists(path);
    } catch (IOException e) {
      log.debug("cannot delete {}", path, e);
    }
  }

  /** Stops and unloads a plugin that will not be used, closing its jar. */
  private static void release(KernelPluginManager manager, String id) {
    try {
      manager.unloadPlugin(id);
    } catch (RuntimeException | LinkageError e) {
      log.debug("unloading failed plugin {} failed", id, e);
    }
  }

  /** Why PF4J did not start the plugin, or null if it did. */
  private static String startFailure(KernelPluginManager manager, PluginWrapper wrapper) {
    String invalid = manager.invalidReason(wrapper.getPluginId());
    if (invalid != null) {
      return invalid;
    }
    PluginState state = wrapper.getPluginState();
    if (state == PluginState.STARTED) {
      return null;
    }
    Throwable failed = wrapper.getFailedException();
    if (state == PluginState.DISABLED && failed == null) {
      return "disabled by the plugins directory's enabled.txt/disabled.txt";
    }
    if (failed instanceof NullPointerException && wrapper.getPlugin() == null) {
      return "plugin class '"
          + wrapper.getDescriptor().getPluginClass()
          + "' cannot be loaded or instantiated (expected: a public org.pf4j.Plugin subclass, or"
          + " no plugin.class)";
    }
    if (failed != null) {
      return "failed to start: " + failed;
    }
    return "not started (state " + state + ")";
  }

  /** Creates the plugin's factories into {@code own}; returns a failure reason or null. */
  private static String discover(
      KernelPluginManager manager,
      PluginWrapper wrapper,
      ConfigSchemas schemas,
      Map<String, FilterFactory<?>> own,
      List<String> declared) {
    List<ExtensionWrapper<?>> extensions;
    try {
      extensions = manager.filterFactoryExtensions(wrapper.getPluginId());
    } catch (RuntimeException | LinkageError e) {
      return "reading its filter factories failed: " + rootMessage(e);
    }
    if (extensions.isEmpty()) {
      return "declares no filter factory (expected: a class implementing"
          + " io.plugmesh.filters.FilterFactory listed in META-INF/extensions.idx, e.g. by"
          + " @Extension)";
    }
    for (ExtensionWrapper<?> extension : extensions) {
      String className = extension.getDescriptor().extensionClass.getName();
      Object instance;
      try {
        instance = extension.getExtension();
      } catch (RuntimeException | LinkageError e) {
        return "creating filter factory " + className + " failed: " + rootMessage(e);
      }
      if (!(instance instanceof FilterFactory<?> factory)) {
        return className + " is not a FilterFactory of this kernel's filter API";
      }
      String name;
      try {
        name = checkFactory(factory, schemas);
      } catch (RuntimeException | LinkageError e) {
        return "filter factory " + className + ": " + rootMessage(e);
      }
      declared.add(name);
      if (own.containsKey(name)) {
        return "filter name '"
            + name
            + "' of "
            + className
            + " is declared twice in the plugin (expected: unique filter names)";
      }
      own.put(name, factory);
    }
    return null;
  }

  /** Checks a factory's name, phase and schema; returns its name. */
  private static String checkFactory(FilterFactory<?> factory, ConfigSchemas schemas) {
    String name = factory.name();
    if (name == null || !FILTER_NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "filter name "
              + (name == null ? "null" : "'" + name + "'")
              + " of "
              + factory.getClass().getName()
              + " (expected: lower case letters, digits and dashes, starting with a letter, at"
              + " most 64 characters)");
    }
    if (factory.phase() == null) {
      throw new IllegalArgumentException(
          "filter '" + name + "': phase() returned null (expected: a Phase)");
    }
    schemas.compile(factory, name);
    return name;
  }

  private static String describeLoadFailure(Path path, Throwable error) {
    if (Files.isRegularFile(path)) {
      try (JarFile jar = new JarFile(path.toFile())) {
        Manifest manifest = jar.getManifest();
        boolean hasManifestId =
            manifest != null && manifest.getMainAttributes().getValue("Plugin-Id") != null;
        if (jar.getEntry("plugin.properties") == null && !hasManifestId) {
          return "no plugin descriptor (expected: plugin.properties or a MANIFEST Plugin-Id)";
        }
      } catch (IOException | SecurityException e) {
        return "not a readable jar: " + e.getMessage();
      }
    }
    return "cannot load: " + rootMessage(error);
  }

  private static String rootMessage(Throwable error) {
    Throwable t = error;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    String message = t.getMessage();
    String text = t.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    return t == error ? text : error.getMessage() + " (" + text + ")";
  }

  private static String idFromFileName(Path path) {
    String name = path.getFileName().toString();
    return name.endsWith(".jar") || name.endsWith(".zip")
        ? name.substring(0, name.length() - 4)
        : name;
  }

  private static String shorten(String reason) {
    return reason.length() <= MAX_REASON_CHARS
        ? reason
        : reason.substring(0, MAX_REASON_CHARS) + "…";
  }

  /**
   * The plugin API version this kernel offers.
   *
   * @return the version, e.g. {@code 0.1.0}
   */
  public String apiVersion() {
    return apiVersion;
  }

  /**
   * The factory registered under a filter name.
   *
   * @param name the filter name as written in route config
   * @return the factory, or empty if no started plugin or built-in provides it
   */
  public Optional<FilterFactory<?>> factory(String name) {
    return Optional.ofNullable(view.factories().get(requireNonNull(name, "name")));
  }

  /**
   * The available filter names, sorted.
   *
   * @return the names
   */
  public List<String> filterNames() {
    return view.factories().keySet().stream().sorted().toList();
  }

  /**
   * The plugin that provides a filter.
   *
   * @param factoryName the filter name
   * @return the plugin (or built-in), or empty if the name is not available
   */
  public Optional<PluginInfo> pluginFor(String factoryName) {
    return Optional.ofNullable(
        view.pluginByFilter().get(requireNonNull(factoryName, "factoryName")));
  }

  /**
   * Every plugin the host publishes: built-ins first, then jars by path, failed ones included
   * (retired versions are listed by {@link #retired()}).
   *
   * @return the plugins
   */
  public List<PluginInfo> plugins() {
    return view.plugins();
  }

  /**
   * Why a filter name is not available, when a failed plugin declared it or is named like it (the
   * convention is plugin id == filter name).
   *
   * @param factoryName the filter name
   * @return the failure reason, or empty if the name is available or unknown
   */
  public Optional<String> failureReason(String factoryName) {
    return Optional.ofNullable(view.unavailable().get(requireNonNull(factoryName, "factoryName")));
  }

  ConfigSchemas schemas() {
    return schemas;
  }

  /**
   * The shared-object registry of one filter name, per loaded plugin version (a new version starts
   * with none); created on first use.
   */
  SharedObjects sharedObjects(String factoryName, FilterFactory<?> factory) {
    if (closed.get()) {
      throw new IllegalStateException("plugin host is closed");
    }
    Loaded loaded = owners.get(factory);
    ConcurrentMap<String, SharedObjects> registry = loaded == null ? builtinShared : loaded.shared;
    return registry.computeIfAbsent(
        factoryName, name -> new SharedObjects(name, MAX_SHARED_OBJECTS_PER_PLUGIN));
  }

  /**
   * Closes every plugin's shared objects, then stops and unloads the plugins and deletes their
   * staged copies. Idempotent.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    synchronized (this) {
      if (releaser != null) {
        releaser.shutdownNow();
      }
      builtinShared.values().forEach(SharedObjects::close);
      List<Loaded> all = new ArrayList<>(retired);
      jars.values().stream().map(Jar::loaded).filter(l -> l != null).forEach(all::add);
      retired.clear();
      for (Loaded loaded : all) {
        try {
          unload(loaded);
        } catch (RuntimeException e) {
          log.warn("stopping plugin {} failed", loaded, e);
        }
      }
      if (staging != null) {
        try (DirectoryStream<Path> left = Files.newDirectoryStream(staging)) {
          left.forEach(PluginHost::deleteQuietly);
        } catch (IOException e) {
          log.debug("cannot clean {}", staging, e);
        }
        deleteQuietly(staging);
      }
    }
  }

  @Override
  public String toString() {
    return "PluginHost{api=" + apiVersion + ", filters=" + filterNames() + "}";
  }
}
