package io.plugmesh.kernel.timer;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.FastThreadLocal;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Per-request timeouts of one event loop (route timeouts, request-head timeouts). Timeouts of the
 * same length expire in the order they started, so each distinct length keeps its entries in one
 * FIFO list with a single scheduled task, armed for the oldest deadline: starting and cancelling a
 * timeout only links and unlinks an entry (no task per request, no priority-queue insert and
 * removal, no allocation). A task that finds its oldest request already gone re-arms itself for the
 * next one, so no deadline fires late; a list that runs empty is dropped, so lists exist only for
 * timeouts in use. Confined to its event loop.
 */
public final class LoopDeadlines {
  private static final Logger log = LoggerFactory.getLogger(LoopDeadlines.class);

  private static final FastThreadLocal<LoopDeadlines> PER_LOOP = new FastThreadLocal<>();

  private final EventLoop loop;
  private final Map<Long, Expiries> byTimeout = new HashMap<>();
  private Expiries lastUsed;

  private LoopDeadlines(EventLoop loop) {
    this.loop = loop;
  }

  /**
   * The deadlines of {@code loop}; call on that loop.
   *
   * @param loop the caller's event loop
   * @return its deadlines
   */
  public static LoopDeadlines of(EventLoop loop) {
    LoopDeadlines deadlines = PER_LOOP.get();
    if (deadlines == null || deadlines.loop != loop) {
      deadlines = new LoopDeadlines(loop);
      PER_LOOP.set(deadlines);
    }
    return deadlines;
  }

  /**
   * Starts the timeout of {@code entry}: {@link Entry#deadlineExpired} runs on this loop once
   * {@code timeoutNanos} have passed, unless {@link #cancel} came first.
   *
   * @param entry an entry not started yet (or cancelled or expired since)
   * @param timeoutNanos the timeout, > 0
   */
  public void start(Entry entry, long timeoutNanos) {
    Expiries list = lastUsed;
    if (list == null || list.timeoutNanos != timeoutNanos) {
      list = byTimeout.get(timeoutNanos);
      if (list == null) {
        list = new Expiries(timeoutNanos);
        byTimeout.put(timeoutNanos, list);
      }
      lastUsed = list;
    }
    list.add(entry);
  }

  /**
   * Cancels the timeout of {@code entry}; does nothing when it was not started or has expired.
   *
   * @param entry the entry
   */
  public static void cancel(Entry entry) {
    if (entry.list != null) {
      entry.list.remove(entry);
    }
  }

  /** Something with a timeout; its links belong to the loop's {@link LoopDeadlines}. */
  public abstract static class Entry {
    private Entry previous;
    private Entry next;
    private long deadline;
    private Expiries list;

    /** Creates an entry that is not started. */
    protected Entry() {}

    /** The timeout passed; runs on the event loop, after the entry left its list. */
    protected abstract void deadlineExpired();
  }

  /** The entries of one timeout length, oldest first, and the one task armed for the oldest. */
  private final class Expiries implements Runnable {
    final long timeoutNanos;
    private Entry oldest;
    private Entry newest;
    private boolean armed;

    Expiries(long timeoutNanos) {
      this.timeoutNanos = timeoutNanos;
    }

    void add(Entry entry) {
      if (entry.list != null) {
        entry.list.remove(entry);
      }
      entry.deadline = System.nanoTime() + timeoutNanos;
      entry.list = this;
      entry.previous = newest;
      entry.next = null;
      if (newest == null) {
        oldest = entry;
      } else {
        newest.next = entry;
      }
      newest = entry;
      if (!armed) {
        arm(entry.deadline);
      }
    }

    void remove(Entry entry) {
      if (entry.previous == null) {
        oldest = entry.next;
      } else {
        entry.previous.next = entry.next;
      }
      if (entry.next == null) {
        newest = entry.previous;
      } else {
        entry.next.previous = entry.previous;
      }
      entry.previous = null;
      entry.next = null;
      entry.list = null;
    }

    private void arm(long deadline) {
      armed = true;
      loop.schedule(this, Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    }

    @Override
    public void run() {
      armed = false;
      long now = System.nanoTime();
      Entry entry;
      while ((entry = oldest) != null && entry.deadline - now <= 0) {
        remove(entry);
        try {
          entry.deadlineExpired();
        } catch (RuntimeException e) {
          log.warn("a timeout handler failed", e);
        }
      }
      if (oldest != null) {
        if (!armed) {
          arm(oldest.deadline);
        }
      } else if (!armed) {
        byTimeout.remove(timeoutNanos);
        if (lastUsed == this) {
          lastUsed = null;
        }
      }
    }
  }
}
