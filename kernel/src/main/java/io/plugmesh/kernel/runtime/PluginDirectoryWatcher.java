package io.plugmesh.kernel.runtime;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reloads plugins when the plugins directory changes: a jar added, replaced or removed. A change is
 * acted on once the directory has looked the same for one whole poll interval, so a jar still being
 * copied is not read half-written; a change whose reload was refused is not retried until the
 * directory changes again.
 */
public final class PluginDirectoryWatcher implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PluginDirectoryWatcher.class);

  /** How often the directory is checked, in milliseconds, by default. */
  public static final long DEFAULT_POLL_MILLIS = 1000;

  private final Path dir;
  private final Kernel kernel;
  private final ScheduledExecutorService poller;
  private List<String> seen;
  private List<String> acted;

  private PluginDirectoryWatcher(Path dir, Kernel kernel) {
    this.dir = dir;
    this.kernel = kernel;
    this.poller =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "plugmesh-plugin-watch");
              t.setDaemon(true);
              return t;
            });
  }

  /**
   * Starts watching the kernel's plugins directory.
   *
   * @param kernel the kernel whose plugins to reload
   * @param pollMillis the poll interval, &gt; 0
   * @return the watcher
   */
  public static PluginDirectoryWatcher start(Kernel kernel, long pollMillis) {
    requireNonNull(kernel, "kernel");
    if (pollMillis <= 0) {
      throw new IllegalArgumentException("pollMillis: " + pollMillis + " (expected: > 0)");
    }
    PluginDirectoryWatcher watcher =
        new PluginDirectoryWatcher(kernel.plugins().pluginsDir(), kernel);
    watcher.acted = watcher.fingerprint();
    watcher.seen = watcher.acted;
    watcher.poller.scheduleWithFixedDelay(
        watcher::poll, pollMillis, pollMillis, TimeUnit.MILLISECONDS);
    return watcher;
  }

  private void poll() {
    try {
      List<String> now = fingerprint();
      boolean settled = now.equals(seen);
      seen = now;
      if (!settled || now.equals(acted)) {
        return;
      }
      acted = now;
      try {
        Kernel.PluginReload reload = kernel.reloadPlugins();
        if (!reload.failed().isEmpty()) {
          log.warn(
              "{} changed; plugins that could not be loaded: {}",
              dir,
              reload.failed().stream().map(p -> p.id() + ": " + p.error()).toList());
        }
      } catch (RuntimeException e) {
        log.error("{} changed but the plugins were not reloaded: {}", dir, e.getMessage());
      }
    } catch (RuntimeException e) {
      log.error("plugin directory watch failed", e);
    }
  }

  /** Name, size and modification time of every jar, sorted; empty when the directory is absent. */
  private List<String> fingerprint() {
    List<String> entries = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return entries;
    }
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir, "*.jar")) {
      for (Path jar : stream) {
        try {
          entries.add(
              jar.getFileName()
                  + "|"
                  + Files.size(jar)
                  + "|"
                  + Files.getLastModifiedTime(jar).toMillis());
        } catch (IOException e) {
          entries.add(jar.getFileName() + "|unreadable");
        }
      }
    } catch (IOException e) {
      log.warn("cannot list {}: {}", dir, e.toString());
      return seen == null ? entries : seen;
    }
    entries.sort(null);
    return entries;
  }

  @Override
  public void close() {
    poller.shutdownNow();
  }
}
