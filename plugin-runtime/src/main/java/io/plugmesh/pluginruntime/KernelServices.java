package io.plugmesh.pluginruntime;

import static java.util.Objects.requireNonNull;

import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

/**
 * What the kernel lends every filter it creates: metrics, timers, a bounded pool for blocking work
 * and the wall clock.
 *
 * @param registry where plugin and chain metrics are registered
 * @param metricsPrefix the metric name prefix, e.g. {@code mesh} for {@code mesh_plugin_...}
 * @param scheduler timers for filters (delays, timeouts, refreshes); tasks must not block
 * @param blockingExecutor a bounded pool for blocking work; rejects work when full
 * @param clock the wall clock
 */
public record KernelServices(
    MeterRegistry registry,
    String metricsPrefix,
    ScheduledExecutorService scheduler,
    ExecutorService blockingExecutor,
    Clock clock)
    implements AutoCloseable {

  /** The default metric prefix, {@code mesh}, so names do not collide with a real Istio. */
  public static final String DEFAULT_METRICS_PREFIX = "mesh";

  /** Threads of the default blocking pool: 8 (idle threads end after a minute). */
  public static final int DEFAULT_BLOCKING_THREADS = 8;

  /**
   * Tasks the default blocking pool queues while all threads are busy: 1024; beyond that {@code
   * execute} throws {@link java.util.concurrent.RejectedExecutionException}.
   */
  public static final int DEFAULT_BLOCKING_QUEUE = 1024;

  /** Threads of the default scheduler: 1 (its tasks must be short and never block). */
  public static final int DEFAULT_SCHEDULER_THREADS = 1;

  private static final long BLOCKING_KEEP_ALIVE_SECONDS = 60;

  private static final Pattern PREFIX = Pattern.compile("[a-z][a-z0-9_]{0,31}");

  /**
   * Creates the services.
   *
   * @param registry the meter registry
   * @param metricsPrefix the prefix: lower case letters, digits and underscores
   * @param scheduler the scheduler
   * @param blockingExecutor the blocking executor
   * @param clock the clock
   */
  public KernelServices {
    requireNonNull(registry, "registry");
    requireNonNull(metricsPrefix, "metricsPrefix");
    requireNonNull(scheduler, "scheduler");
    requireNonNull(blockingExecutor, "blockingExecutor");
    requireNonNull(clock, "clock");
    if (!PREFIX.matcher(metricsPrefix).matches()) {
      throw new IllegalArgumentException(
          "metricsPrefix: '"
              + metricsPrefix
              + "' (expected: lower case letters, digits and underscores, starting with a letter,"
              + " at most 32)");
    }
  }

  /**
   * Services with the default prefix and the default pools (see {@link #defaults(MeterRegistry,
   * String)}).
   *
   * @param registry the meter registry
   * @return the services; {@link #close()} them on shutdown
   */
  public static KernelServices defaults(MeterRegistry registry) {
    return defaults(registry, DEFAULT_METRICS_PREFIX);
  }

  /**
   * Services with a {@link #DEFAULT_SCHEDULER_THREADS}-thread daemon scheduler ({@code
   * plugmesh-timer-N}), a blocking pool of {@link #DEFAULT_BLOCKING_THREADS} daemon threads ({@code
   * plugmesh-blocking-N}) with a queue of {@link #DEFAULT_BLOCKING_QUEUE} tasks that rejects work
   * beyond it, and the system UTC clock.
   *
   * @param registry the meter registry
   * @param metricsPrefix the metric prefix
   * @return the services; {@link #close()} them on shutdown
   */
  public static KernelServices defaults(MeterRegistry registry, String metricsPrefix) {
    ScheduledThreadPoolExecutor scheduler =
        new ScheduledThreadPoolExecutor(DEFAULT_SCHEDULER_THREADS, named("plugmesh-timer-"));
    scheduler.setRemoveOnCancelPolicy(true);
    scheduler.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    ThreadPoolExecutor blocking =
        new ThreadPoolExecutor(
            DEFAULT_BLOCKING_THREADS,
            DEFAULT_BLOCKING_THREADS,
            BLOCKING_KEEP_ALIVE_SECONDS,
            TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(DEFAULT_BLOCKING_QUEUE),
            named("plugmesh-blocking-"),
            new ThreadPoolExecutor.AbortPolicy());
    blocking.allowCoreThreadTimeOut(true);
    return new KernelServices(registry, metricsPrefix, scheduler, blocking, Clock.systemUTC());
  }

  /**
   * Daemon threads for the pools plugins use. A pool starts a thread when a task arrives, often
   * from a plugin's code, and a new thread inherits from its creator the context class loader and
   * the access-control context of the calling code (protection domains that name the plugin's class
   * loader): kept by a thread that lives on, they would keep a retired plugin version from ever
   * being unloaded. These threads take the kernel's class loader and no caller's context.
   */
  @SuppressWarnings("removal") // the only way on Java 17 to start a thread without the caller's
  // access-control context; the security manager itself is never used
  private static ThreadFactory named(String prefix) {
    AtomicInteger count = new AtomicInteger();
    ClassLoader kernelLoader = KernelServices.class.getClassLoader();
    return task -> {
      Thread thread =
          java.security.AccessController.doPrivileged(
              (java.security.PrivilegedAction<Thread>)
                  () -> new Thread(task, prefix + count.incrementAndGet()));
      thread.setContextClassLoader(kernelLoader);
      thread.setDaemon(true);
      return thread;
    };
  }

  /** Shuts the scheduler and the blocking pool down (only for services that own them). */
  @Override
  public void close() {
    scheduler.shutdownNow();
    blockingExecutor.shutdownNow();
  }
}
