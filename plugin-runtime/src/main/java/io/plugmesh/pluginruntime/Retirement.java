package io.plugmesh.pluginruntime;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The plugin versions a reload replaced or removed: each stays loaded while a chain built from it
 * may still run (a request on an older config version), and is unloaded after. While some wait, a
 * daemon thread checks every {@link PluginHost#RELEASE_CHECK_MILLIS}.
 *
 * <p>Not thread-safe: the plugin host calls it under its own lock, and the periodic check goes
 * through the host too.
 */
final class Retirement {
  private static final Logger log = LoggerFactory.getLogger(Retirement.class);

  private static final String THREAD_NAME = "plugmesh-plugin-release";

  private final List<PluginVersion> retired = new ArrayList<>();
  private final Runnable periodicCheck;
  private final Consumer<PluginVersion> unload;
  private ScheduledExecutorService releaser;
  private boolean closed;

  /**
   * @param periodicCheck what the release thread runs: the host's {@code releaseUnused}, which
   *     takes the host's lock and calls {@link #releaseUnused()}
   * @param unload unloads one version no chain uses any more
   */
  Retirement(Runnable periodicCheck, Consumer<PluginVersion> unload) {
    this.periodicCheck = periodicCheck;
    this.unload = unload;
  }

  /** Moves plugin versions to the retired list and checks at once whether they can go. */
  void retire(List<PluginVersion> versions) {
    for (PluginVersion version : versions) {
      version.retire();
      retired.add(version);
    }
    if (versions.isEmpty()) {
      return;
    }
    releaseUnused();
    if (!retired.isEmpty() && releaser == null && !closed) {
      releaser =
          Executors.newSingleThreadScheduledExecutor(
              r -> {
                Thread t = new Thread(r, THREAD_NAME);
                t.setDaemon(true);
                return t;
              });
      releaser.scheduleWithFixedDelay(
          periodicCheck,
          PluginHost.RELEASE_CHECK_MILLIS,
          PluginHost.RELEASE_CHECK_MILLIS,
          TimeUnit.MILLISECONDS);
    }
  }

  /**
   * Unloads every retired version no chain uses any more.
   *
   * @return how many retired versions still wait for their last requests
   */
  int releaseUnused() {
    for (Iterator<PluginVersion> it = retired.iterator(); it.hasNext(); ) {
      PluginVersion version = it.next();
      if (version.inUse()) {
        continue;
      }
      it.remove();
      unload.accept(version);
      log.info("plugin {} released", version);
    }
    return retired.size();
  }

  /** The retired versions not yet released, state {@link PluginInfo.State#RETIRED}. */
  List<PluginInfo> infos() {
    return retired.stream().map(PluginVersion::info).toList();
  }

  /**
   * Stops the release thread and hands over every version still waiting, for the host to unload.
   *
   * @return the versions, no longer retired here
   */
  List<PluginVersion> close() {
    closed = true;
    if (releaser != null) {
      releaser.shutdownNow();
    }
    List<PluginVersion> left = new ArrayList<>(retired);
    retired.clear();
    return left;
  }
}
