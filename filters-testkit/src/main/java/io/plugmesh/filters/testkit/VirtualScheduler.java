package io.plugmesh.filters.testkit;

import static java.util.Objects.requireNonNull;

import java.util.Collection;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Delayed;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RunnableScheduledFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** A {@link ScheduledExecutorService} whose tasks run when {@link VirtualTime} reaches them. */
final class VirtualScheduler implements ScheduledExecutorService {
  private static final String NOT_OWNED =
      " is not supported: the scheduler belongs to the test harness (a filter never shuts it"
          + " down or waits on it)";

  private final VirtualTime time;

  VirtualScheduler(VirtualTime time) {
    this.time = time;
  }

  @Override
  public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
    requireNonNull(command, "command");
    return enqueue(Executors.callable(command), delay, unit, 0, false);
  }

  @Override
  public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
    return enqueue(requireNonNull(callable, "callable"), delay, unit, 0, false);
  }

  @Override
  public ScheduledFuture<?> scheduleAtFixedRate(
      Runnable command, long initialDelay, long period, TimeUnit unit) {
    requireNonNull(command, "command");
    if (period <= 0) {
      throw new IllegalArgumentException("period: " + period + " (expected: > 0)");
    }
    return enqueue(Executors.callable(command), initialDelay, unit, unit.toNanos(period), false);
  }

  @Override
  public ScheduledFuture<?> scheduleWithFixedDelay(
      Runnable command, long initialDelay, long delay, TimeUnit unit) {
    requireNonNull(command, "command");
    if (delay <= 0) {
      throw new IllegalArgumentException("delay: " + delay + " (expected: > 0)");
    }
    return enqueue(Executors.callable(command), initialDelay, unit, -unit.toNanos(delay), false);
  }

  @Override
  public void execute(Runnable command) {
    requireNonNull(command, "command");
    enqueue(Executors.callable(command), 0, TimeUnit.NANOSECONDS, 0, true);
  }

  @Override
  public <T> Future<T> submit(Callable<T> task) {
    return enqueue(requireNonNull(task, "task"), 0, TimeUnit.NANOSECONDS, 0, false);
  }

  @Override
  public <T> Future<T> submit(Runnable task, T result) {
    requireNonNull(task, "task");
    return enqueue(Executors.callable(task, result), 0, TimeUnit.NANOSECONDS, 0, false);
  }

  @Override
  public Future<?> submit(Runnable task) {
    requireNonNull(task, "task");
    return enqueue(Executors.callable(task), 0, TimeUnit.NANOSECONDS, 0, false);
  }

  private <V> Task<V> enqueue(
      Callable<V> callable, long delay, TimeUnit unit, long periodNanos, boolean fireAndForget) {
    requireNonNull(unit, "unit");
    long due = time.elapsedNanosValue() + Math.max(0, unit.toNanos(delay));
    Task<V> task = new Task<>(callable, due, periodNanos, fireAndForget);
    time.enqueue(task);
    return task;
  }

  @Override
  public void shutdown() {
    throw new UnsupportedOperationException("shutdown()" + NOT_OWNED);
  }

  @Override
  public List<Runnable> shutdownNow() {
    throw new UnsupportedOperationException("shutdownNow()" + NOT_OWNED);
  }

  @Override
  public boolean isShutdown() {
    return false;
  }

  @Override
  public boolean isTerminated() {
    return false;
  }

  @Override
  public boolean awaitTermination(long timeout, TimeUnit unit) {
    throw new UnsupportedOperationException("awaitTermination()" + NOT_OWNED);
  }

  @Override
  public <T> List<Future<T>> invokeAll(Collection<? extends Callable<T>> tasks) {
    throw new UnsupportedOperationException("invokeAll()" + NOT_OWNED);
  }

  @Override
  public <T> List<Future<T>> invokeAll(
      Collection<? extends Callable<T>> tasks, long timeout, TimeUnit unit) {
    throw new UnsupportedOperationException("invokeAll()" + NOT_OWNED);
  }

  @Override
  public <T> T invokeAny(Collection<? extends Callable<T>> tasks) {
    throw new UnsupportedOperationException("invokeAny()" + NOT_OWNED);
  }

  @Override
  public <T> T invokeAny(Collection<? extends Callable<T>> tasks, long timeout, TimeUnit unit) {
    throw new UnsupportedOperationException("invokeAny()" + NOT_OWNED);
  }

  @Override
  public String toString() {
    return "VirtualScheduler{" + time + "}";
  }

  /** One scheduled task; periodic tasks re-enter the queue after each run. */
  final class Task<V> implements RunnableScheduledFuture<V> {
    private final Callable<V> callable;
    private final long periodNanos;
    private final boolean fireAndForget;
    private final CompletableFuture<V> result = new CompletableFuture<>();
    private volatile long dueNanos;
    private long sequence;

    Task(Callable<V> callable, long dueNanos, long periodNanos, boolean fireAndForget) {
      this.callable = callable;
      this.dueNanos = dueNanos;
      this.periodNanos = periodNanos;
      this.fireAndForget = fireAndForget;
    }

    long dueNanos() {
      return dueNanos;
    }

    void sequence(long sequence) {
      this.sequence = sequence;
    }

    /** Runs the task; returns what an {@code execute}d task threw, which nobody else can see. */
    Throwable runAndReport() {
      if (result.isDone()) {
        return null;
      }
      try {
        V value = callable.call();
        if (periodNanos == 0) {
          result.complete(value);
        } else if (!result.isDone()) {
          long base = periodNanos > 0 ? dueNanos : time.elapsedNanosValue();
          dueNanos = base + Math.abs(periodNanos);
          time.enqueue(this);
        }
        return null;
      } catch (Throwable t) {
        result.completeExceptionally(t);
        return fireAndForget ? t : null;
      }
    }

    @Override
    public void run() {
      runAndReport();
    }

    @Override
    public boolean isPeriodic() {
      return periodNanos != 0;
    }

    @Override
    public long getDelay(TimeUnit unit) {
      return unit.convert(dueNanos - time.elapsedNanosValue(), TimeUnit.NANOSECONDS);
    }

    @Override
    public int compareTo(Delayed other) {
      if (other instanceof Task<?> task) {
        int byDue = Long.compare(dueNanos, task.dueNanos);
        return byDue != 0 ? byDue : Long.compare(sequence, task.sequence);
      }
      return Long.compare(getDelay(TimeUnit.NANOSECONDS), other.getDelay(TimeUnit.NANOSECONDS));
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
      boolean cancelled = result.cancel(mayInterruptIfRunning);
      time.remove(this);
      return cancelled;
    }

    @Override
    public boolean isCancelled() {
      return result.isCancelled();
    }

    @Override
    public boolean isDone() {
      return result.isDone();
    }

    @Override
    public V get() throws InterruptedException, ExecutionException {
      return result.get();
    }

    @Override
    public V get(long timeout, TimeUnit unit)
        throws InterruptedException, ExecutionException, TimeoutException {
      return result.get(timeout, unit);
    }

    @Override
    public String toString() {
      return "Task{due=+"
          + java.time.Duration.ofNanos(dueNanos)
          + (isPeriodic() ? ", periodic" : "")
          + (isDone() ? ", done" : "")
          + "}";
    }
  }
}
