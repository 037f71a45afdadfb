package io.plugmesh.filters.testkit;

import static java.util.Objects.requireNonNull;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.concurrent.ScheduledExecutorService;

/**
 * Time that only moves when a test says so: a wall {@link #clock()}, a monotonic {@link
 * #nanoTime()} and a {@link #scheduler()} whose tasks run when {@link #advance(Duration)} reaches
 * their due time, on the thread that calls {@code advance}.
 *
 * <pre>{@code
 * VirtualTime time = VirtualTime.create();
 * time.scheduler().schedule(() -> fired.set(true), 2, TimeUnit.SECONDS);
 * time.advance(Duration.ofSeconds(1));   // nothing yet
 * time.advance(Duration.ofSeconds(1));   // runs the task, with now() at exactly +2s
 * }</pre>
 *
 * <p>Tasks due at the same instant run in the order they were scheduled; a task that schedules
 * another task due within the window being advanced sees it run in the same call. Thread-safe.
 */
public final class VirtualTime {

  /** Where the wall clock starts unless told otherwise: {@code 2030-01-01T00:00:00Z}. */
  public static final Instant DEFAULT_START = Instant.parse("2030-01-01T00:00:00Z");

  /**
   * The value {@link #nanoTime()} starts from. Arbitrary, like {@link System#nanoTime()}'s origin,
   * and far from zero so code that treats zero as "never" is not accidentally right.
   */
  public static final long NANO_ORIGIN = 1_000_000_000_000L;

  /**
   * The most tasks one {@link #advance} or {@link #runDueTasks} call runs before it gives up; a
   * task that keeps rescheduling itself with no delay would otherwise never let time move.
   */
  public static final int MAX_TASKS_PER_ADVANCE = 100_000;

  private final Instant start;
  private final Object lock = new Object();
  private final PriorityQueue<VirtualScheduler.Task<?>> queue = new PriorityQueue<>();
  private final VirtualScheduler scheduler = new VirtualScheduler(this);
  private final Clock clock = new VirtualClock(ZoneOffset.UTC);
  private long elapsedNanos;
  private long sequence;

  private VirtualTime(Instant start) {
    this.start = requireNonNull(start, "start");
  }

  /**
   * Virtual time starting at {@link #DEFAULT_START}.
   *
   * @return a new virtual time
   */
  public static VirtualTime create() {
    return new VirtualTime(DEFAULT_START);
  }

  /**
   * Virtual time whose wall clock starts at the given instant.
   *
   * @param start the initial {@link #now()}
   * @return a new virtual time
   */
  public static VirtualTime startingAt(Instant start) {
    return new VirtualTime(start);
  }

  /**
   * The current wall-clock instant.
   *
   * @return the start instant plus the time advanced so far
   */
  public Instant now() {
    return start.plusNanos(elapsedNanosValue());
  }

  /**
   * A monotonic reading in nanoseconds, for durations.
   *
   * @return {@link #NANO_ORIGIN} plus the time advanced so far
   */
  public long nanoTime() {
    return NANO_ORIGIN + elapsedNanosValue();
  }

  /**
   * How far time has been advanced since creation.
   *
   * @return the elapsed virtual time
   */
  public Duration elapsed() {
    return Duration.ofNanos(elapsedNanosValue());
  }

  /**
   * A {@link Clock} reading this virtual time, in UTC.
   *
   * @return the clock
   */
  public Clock clock() {
    return clock;
  }

  /**
   * A scheduler driven by this virtual time. {@code schedule}, {@code scheduleAtFixedRate}, {@code
   * scheduleWithFixedDelay}, {@code execute}, {@code submit} and cancellation work fully; tasks
   * given to {@code execute} or {@code submit} are due now and run on the next {@link #advance} or
   * {@link #runDueTasks}. Shutting it down, {@code invokeAll}, {@code invokeAny} and {@code
   * awaitTermination} throw {@link UnsupportedOperationException}: a filter never owns the
   * scheduler.
   *
   * @return the scheduler
   */
  public ScheduledExecutorService scheduler() {
    return scheduler;
  }

  /**
   * Moves time forward, running every task that falls due on the way at its due time, in order.
   *
   * @param by how far to move, not negative
   * @throws IllegalStateException if a task given to {@code execute} threw (the others still ran),
   *     or more than {@link #MAX_TASKS_PER_ADVANCE} tasks ran
   */
  public void advance(Duration by) {
    requireNonNull(by, "by");
    if (by.isNegative()) {
      throw new IllegalArgumentException("by: " + by + " (expected: >= 0; time never goes back)");
    }
    long target;
    synchronized (lock) {
      target = Math.addExact(elapsedNanos, by.toNanos());
    }
    runUntil(target);
    synchronized (lock) {
      elapsedNanos = Math.max(elapsedNanos, target);
    }
  }

  /**
   * Runs the tasks that are due now without moving time, e.g. those given to {@code execute}.
   *
   * @return how many tasks ran
   * @throws IllegalStateException as {@link #advance(Duration)} does
   */
  public int runDueTasks() {
    return runUntil(elapsedNanosValue());
  }

  /**
   * How many tasks are waiting (not yet due, or due but not yet run).
   *
   * @return the number of pending tasks
   */
  public int pendingTasks() {
    synchronized (lock) {
      return queue.size();
    }
  }

  /**
   * How long until the next pending task is due.
   *
   * @return the delay (zero when a task is already due), or empty when nothing is pending
   */
  public Optional<Duration> nextTaskIn() {
    synchronized (lock) {
      VirtualScheduler.Task<?> next = queue.peek();
      return next == null
          ? Optional.empty()
          : Optional.of(Duration.ofNanos(Math.max(0, next.dueNanos() - elapsedNanos)));
    }
  }

  @Override
  public String toString() {
    return "VirtualTime{now="
        + now()
        + ", elapsed="
        + elapsed()
        + ", pending="
        + pendingTasks()
        + "}";
  }

  long elapsedNanosValue() {
    synchronized (lock) {
      return elapsedNanos;
    }
  }

  void enqueue(VirtualScheduler.Task<?> task) {
    synchronized (lock) {
      task.sequence(sequence++);
      queue.add(task);
    }
  }

  void remove(VirtualScheduler.Task<?> task) {
    synchronized (lock) {
      queue.remove(task);
    }
  }

  private int runUntil(long target) {
    List<Throwable> failures = new ArrayList<>();
    int ran = 0;
    while (true) {
      VirtualScheduler.Task<?> task;
      synchronized (lock) {
        task = queue.peek();
        if (task == null || task.dueNanos() > target) {
          break;
        }
        queue.poll();
        elapsedNanos = Math.max(elapsedNanos, task.dueNanos());
      }
      if (++ran > MAX_TASKS_PER_ADVANCE) {
        throw new IllegalStateException(
            "ran more than "
                + MAX_TASKS_PER_ADVANCE
                + " scheduled tasks in one advance (expected fewer; does a task reschedule itself"
                + " with no delay?)");
      }
      Throwable failure = task.runAndReport();
      if (failure != null) {
        failures.add(failure);
      }
    }
    if (!failures.isEmpty()) {
      IllegalStateException e =
          new IllegalStateException(
              "a task given to the scheduler's execute() threw: " + failures.get(0),
              failures.get(0));
      failures.stream().skip(1).forEach(e::addSuppressed);
      throw e;
    }
    return ran;
  }

  /** A clock that reads the enclosing virtual time. */
  private final class VirtualClock extends Clock {
    private final ZoneId zone;

    VirtualClock(ZoneId zone) {
      this.zone = zone;
    }

    @Override
    public ZoneId getZone() {
      return zone;
    }

    @Override
    public Clock withZone(ZoneId newZone) {
      return newZone.equals(zone) ? this : new VirtualClock(newZone);
    }

    @Override
    public Instant instant() {
      return now();
    }

    @Override
    public String toString() {
      return "VirtualClock[" + now() + "," + zone + "]";
    }
  }
}
