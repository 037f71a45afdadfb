package io.plugmesh.kernel.chain;

import static java.util.Objects.requireNonNull;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.util.concurrent.FastThreadLocal;
import io.plugmesh.filters.internal.ChainRunner;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds plugins that block an event loop. Every chain run marks, per event loop, which plugin's
 * code the loop is in and since when ({@link #watch()}); one daemon thread looks at the marks every
 * half {@code limits.blockedLoopThreshold} and, for a loop inside one plugin for longer than the
 * threshold, counts {@code <prefix>_plugin_blocked_total{plugin}}, logs the plugin and the blocked
 * thread's stack (once per plugin until the next config change) and, with {@code
 * limits.quarantineBlockingPlugins}, quarantines the plugin: routes using it answer 503 until the
 * next config change.
 *
 * <p>It detects and contains; it cannot unblock. The blocked thread keeps running the plugin until
 * the plugin returns, and the other connections of that loop wait that long.
 */
public final class BlockedLoopWatchdog implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(BlockedLoopWatchdog.class);

  /** The shortest interval between checks, whatever the threshold. */
  static final long MIN_CHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

  private final long thresholdNanos;
  private final boolean quarantine;
  private final MeterRegistry registry;
  private final String counterName;
  private final List<Heartbeat> heartbeats = new CopyOnWriteArrayList<>();
  private final Set<String> logged = ConcurrentHashMap.newKeySet();
  private final Set<String> quarantined = ConcurrentHashMap.newKeySet();
  private final FastThreadLocal<Heartbeat> perThread =
      new FastThreadLocal<>() {
        @Override
        protected Heartbeat initialValue() {
          Heartbeat h = new Heartbeat(Thread.currentThread());
          heartbeats.add(h);
          return h;
        }
      };
  private final Thread thread;
  private volatile boolean closed;

  /**
   * Starts the watchdog thread.
   *
   * @param threshold how long a loop may stay in one plugin's code
   * @param quarantine whether a plugin that blocks is quarantined
   * @param registry where the counter lives
   * @param metricsPrefix the metric name prefix, e.g. {@code mesh}
   */
  public BlockedLoopWatchdog(
      Duration threshold, boolean quarantine, MeterRegistry registry, String metricsPrefix) {
    this.thresholdNanos = threshold.toNanos();
    this.quarantine = quarantine;
    this.registry = requireNonNull(registry, "registry");
    this.counterName = metricsPrefix + ".plugin.blocked";
    this.thread = new Thread(this::loop, "plugmesh-loop-watchdog");
    thread.setDaemon(true);
    thread.start();
  }

  /**
   * The calling event loop's watch, for {@link ChainRunner#run(io.plugmesh.filters.ProxyRequest,
   * ChainRunner.Terminal, java.util.concurrent.Executor, ChainRunner.Observer, ChainRunner.Watch)}.
   * Call on the loop.
   *
   * @return its watch
   */
  public ChainRunner.Watch watch() {
    return perThread.get();
  }

  /**
   * The first quarantined plugin of a chain.
   *
   * @param links the chain's links
   * @return the plugin name, or null when none is quarantined
   */
  public String quarantined(List<ChainRunner.Link> links) {
    if (quarantined.isEmpty()) {
      return null;
    }
    for (ChainRunner.Link link : links) {
      if (quarantined.contains(link.name())) {
        return link.name();
      }
    }
    return null;
  }

  /** A new config is in force: quarantined plugins run again and are logged again if they block. */
  public void configChanged() {
    if (!quarantined.isEmpty()) {
      log.info("plugins {} leave quarantine with the new config", quarantined);
    }
    quarantined.clear();
    logged.clear();
  }

  private void loop() {
    long interval = Math.max(MIN_CHECK_NANOS, thresholdNanos / 2);
    while (!closed) {
      try {
        TimeUnit.NANOSECONDS.sleep(interval);
      } catch (InterruptedException e) {
        return;
      }
      long now = System.nanoTime();
      for (Heartbeat h : heartbeats) {
        check(h, now);
      }
    }
  }

  private void check(Heartbeat h, long now) {
    long since = h.since;
    ChainRunner.Link link = h.current;
    if (link == null || since != h.since || now - since <= thresholdNanos) {
      return;
    }
    if (h.reported == since) {
      return; // this block was counted already
    }
    h.reported = since;
    String plugin = link.name();
    Counter.builder(counterName)
        .description(
            "Times a plugin kept an event loop busy longer than limits.blockedLoopThreshold")
        .tag("plugin", plugin)
        .register(registry)
        .increment();
    boolean quarantinedNow = quarantine && quarantined.add(plugin);
    if (logged.add(plugin)) {
      Throwable where = new Throwable("stack of " + h.thread.getName() + " while blocked");
      where.setStackTrace(h.thread.getStackTrace());
      log.warn(
          "plugin '{}' has blocked event loop {} for over {} ms (limits.blockedLoopThreshold);"
              + " other connections on that loop wait until it returns.{}",
          plugin,
          h.thread.getName(),
          TimeUnit.NANOSECONDS.toMillis(thresholdNanos),
          quarantine
              ? " Quarantined: its routes answer 503 until the next config change."
              : " Set limits.quarantineBlockingPlugins to stop routing to it.",
          where);
    } else if (quarantinedNow) {
      log.warn(
          "plugin '{}' quarantined: its routes answer 503 until the next config change", plugin);
    }
  }

  @Override
  public void close() {
    closed = true;
    thread.interrupt();
  }

  /**
   * One thread's mark: the link whose code it runs, and since when. Written by that thread only.
   */
  private static final class Heartbeat implements ChainRunner.Watch {
    final Thread thread;
    volatile ChainRunner.Link current;
    volatile long since;
    long reported;

    Heartbeat(Thread thread) {
      this.thread = thread;
    }

    @Override
    public Object enter(ChainRunner.Link link) {
      if (Thread.currentThread() != thread) {
        return this; // not this loop's thread: marks nothing
      }
      ChainRunner.Link previous = current;
      since = System.nanoTime();
      current = link;
      return previous;
    }

    @Override
    public void exit(Object previous) {
      if (previous == this || Thread.currentThread() != thread) {
        return;
      }
      // Back in the outer link (or none), timed afresh: the inner one's time is not the outer's.
      since = System.nanoTime();
      current = (ChainRunner.Link) previous;
    }
  }
}
