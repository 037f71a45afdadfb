package io.plugmesh.control.server.store;

import static java.util.Objects.requireNonNull;

import io.plugmesh.config.ConfigError;
import io.plugmesh.config.io.AtomicFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Desired state in a directory of YAML files, the single-node default. Every {@code *.yaml}, {@code
 * *.yml} and {@code *.json} file is read in name order; admins edit them and the store notices
 * (polling every {@link #POLL_MILLIS} ms). Writes through the admin API go to one managed file,
 * {@value #MANAGED_FILE}; a resource defined in an admin's file cannot be changed through the API.
 */
public final class FileStateStore implements StateStore {
  private static final Logger log = LoggerFactory.getLogger(FileStateStore.class);

  /** The file the admin API writes. */
  public static final String MANAGED_FILE = "zz-applied-by-api.json";

  /** How often the directory is checked for edits: 500 ms. */
  public static final long POLL_MILLIS = 500;

  /** Seq stride per file, so each file's resources keep their order after earlier files'. */
  private static final long FILE_STRIDE = 1_000_000;

  private final Path dir;
  private final List<Consumer<DesiredState>> listeners = new CopyOnWriteArrayList<>();
  private final ScheduledExecutorService poller;
  private Map<Path, String> fingerprint = Map.of();
  private DesiredState state = DesiredState.EMPTY;
  private Map<Resource.Key, Path> origin = Map.of();
  private long revision;

  /**
   * Opens the directory (created if missing) and starts watching it.
   *
   * @param dir the directory
   * @throws ConfigError when a file is malformed (then nothing starts)
   */
  public FileStateStore(Path dir) {
    this.dir = requireNonNull(dir, "dir");
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    reload(true);
    poller =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "plugmesh-control-files");
              t.setDaemon(true);
              return t;
            });
    poller.scheduleWithFixedDelay(this::poll, POLL_MILLIS, POLL_MILLIS, TimeUnit.MILLISECONDS);
  }

  private void poll() {
    try {
      reload(false);
    } catch (RuntimeException e) {
      log.warn("desired state in {} not reloaded: {}", dir, e.getMessage());
    }
  }

  /** Reads the files if they changed; notifies listeners. */
  private void reload(boolean initial) {
    DesiredState changed;
    synchronized (this) {
      Map<Path, String> now = fingerprint();
      if (!initial && now.equals(fingerprint)) {
        return;
      }
      List<Resource> all = new ArrayList<>();
      Map<Resource.Key, Path> from = new HashMap<>();
      List<ConfigError.Problem> problems = new ArrayList<>();
      long base = 0;
      for (Path file : now.keySet()) {
        base += FILE_STRIDE;
        String source = file.getFileName().toString();
        try {
          String text = Files.readString(file, StandardCharsets.UTF_8);
          for (Resource r : Documents.split(Documents.parse(text, source), source)) {
            Path other = from.putIfAbsent(r.key(), file);
            if (other != null) {
              problems.add(
                  ConfigError.Problem.at(
                      source,
                      r.key()
                          + " is also defined in "
                          + other.getFileName()
                          + " (expected: once)"));
              continue;
            }
            all.add(new Resource(r.kind(), r.name(), r.tree(), base + r.seq()));
          }
        } catch (ConfigError e) {
          problems.addAll(e.problems());
        } catch (IOException e) {
          problems.add(ConfigError.Problem.at(source, "cannot read (" + e + ")"));
        }
      }
      fingerprint = now;
      if (!problems.isEmpty()) {
        throw new ConfigError("desired state in " + dir, problems);
      }
      revision++;
      state = DesiredState.of(revision, all);
      origin = from;
      changed = state;
    }
    if (!initial) {
      log.info("desired state in {} changed (revision {})", dir, changed.revision());
      listeners.forEach(l -> l.accept(changed));
    }
  }

  private Map<Path, String> fingerprint() {
    Map<Path, String> out = new LinkedHashMap<>();
    List<Path> files = new ArrayList<>();
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir, "*.{yaml,yml,json}")) {
      stream.forEach(files::add);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    files.sort(null);
    for (Path f : files) {
      try {
        out.put(f, Files.getLastModifiedTime(f) + "/" + Files.size(f));
      } catch (IOException e) {
        // vanished between listing and reading
      }
    }
    return out;
  }

  @Override
  public synchronized DesiredState load() {
    return state;
  }

  @Override
  public long write(List<Resource> puts, List<Resource.Key> deletes) {
    synchronized (this) {
      Path managed = dir.resolve(MANAGED_FILE);
      List<String> refused = new ArrayList<>();
      for (Resource r : puts) {
        checkManaged(r.key(), managed, refused);
      }
      for (Resource.Key k : deletes) {
        checkManaged(k, managed, refused);
      }
      if (!refused.isEmpty()) {
        throw new StoreException(String.join("; ", refused), null);
      }
      Map<Resource.Key, Resource> kept = new LinkedHashMap<>();
      for (Resource r : state.all()) {
        if (managed.equals(origin.get(r.key()))) {
          kept.put(r.key(), r);
        }
      }
      deletes.forEach(kept::remove);
      for (Resource r : puts) {
        kept.put(r.key(), r);
      }
      List<Resource> ordered = new ArrayList<>(kept.values());
      ordered.sort(DesiredState.ORDER);
      Map<String, Object> doc = DesiredState.of(0, ordered).document();
      try {
        AtomicFiles.writePrivate(
            managed, Documents.prettyJson(doc).getBytes(StandardCharsets.UTF_8));
      } catch (IOException e) {
        throw new StoreException("cannot write " + managed + ": " + e, e);
      }
      fingerprint = Map.of();
    }
    reload(false);
    return load().revision();
  }

  private void checkManaged(Resource.Key key, Path managed, List<String> refused) {
    Path from = origin.get(key);
    if (from != null && !from.equals(managed)) {
      refused.add(
          key
              + " is defined in "
              + from.getFileName()
              + " (expected: edit that file; the admin API changes only resources it created)");
    }
  }

  @Override
  public void watch(Consumer<DesiredState> listener) {
    listeners.add(requireNonNull(listener, "listener"));
  }

  @Override
  public String describe() {
    return "files in " + dir;
  }

  @Override
  public void close() {
    poller.shutdownNow();
  }

  @Override
  public String toString() {
    return describe();
  }
}
