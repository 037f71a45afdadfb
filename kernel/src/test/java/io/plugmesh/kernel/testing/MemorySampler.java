package io.plugmesh.kernel.testing;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.util.internal.PlatformDependent;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Samples, while a test runs, the direct memory of Netty's default allocator (the one every kernel
 * channel uses), all direct memory Netty tracks, and the heap used right after a GC; keeps the
 * peaks. Start it before the work, close it after.
 */
public final class MemorySampler implements AutoCloseable {
  /** How often direct memory is sampled. */
  static final long SAMPLE_MILLIS = 10;

  /** How often a GC is requested to sample the heap that is still in use. */
  static final long GC_EVERY_MILLIS = 1_000;

  /** Peaks seen while sampling, and the values before the work started. */
  public record Peaks(
      String allocator,
      long allocatorDirectBefore,
      long allocatorDirectPeak,
      long trackedDirectBefore,
      long trackedDirectPeak,
      long heapAfterGcBefore,
      long heapAfterGcPeak,
      int samples,
      int gcSamples) {

    /** The peak of the direct memory the allocator holds, or that Netty tracks if larger. */
    public long directPeak() {
      return Math.max(allocatorDirectPeak, trackedDirectPeak);
    }

    /** How much the heap in use after GC grew over its value before the work. */
    public long heapGrowth() {
      return heapAfterGcPeak - heapAfterGcBefore;
    }

    @Override
    public String toString() {
      return String.format(
          "allocator %s: direct %s -> peak %s; Netty-tracked direct %s -> peak %s;"
              + " heap after GC %s -> peak %s (growth %s); %d samples, %d GC samples",
          allocator,
          mib(allocatorDirectBefore),
          mib(allocatorDirectPeak),
          mib(trackedDirectBefore),
          mib(trackedDirectPeak),
          mib(heapAfterGcBefore),
          mib(heapAfterGcPeak),
          mib(heapGrowth()),
          samples,
          gcSamples);
    }

    private static String mib(long bytes) {
      return bytes < 0 ? "untracked" : String.format("%.1f MiB", bytes / (1024.0 * 1024.0));
    }
  }

  private static final MemoryMXBean MEMORY = ManagementFactory.getMemoryMXBean();

  private final ByteBufAllocator allocator = ByteBufAllocator.DEFAULT;
  private final long allocatorBefore;
  private final long trackedBefore;
  private final long heapBefore;
  private final AtomicLong allocatorPeak = new AtomicLong();
  private final AtomicLong trackedPeak = new AtomicLong(-1);
  private final AtomicLong heapPeak = new AtomicLong();
  private volatile boolean running = true;
  private volatile int samples;
  private volatile int gcSamples;
  private final Thread thread;

  private MemorySampler() {
    heapBefore = heapAfterGc();
    allocatorBefore = allocatorDirect();
    trackedBefore = PlatformDependent.usedDirectMemory();
    allocatorPeak.set(allocatorBefore);
    trackedPeak.set(trackedBefore);
    heapPeak.set(heapBefore);
    thread = new Thread(this::run, "memory-sampler");
    thread.setDaemon(true);
    thread.start();
  }

  /** Records the baseline (after a GC) and starts sampling. */
  public static MemorySampler start() {
    return new MemorySampler();
  }

  /** Which allocator the kernel's channels use by default. */
  public String allocatorName() {
    return allocator.getClass().getSimpleName();
  }

  private long allocatorDirect() {
    return allocator instanceof ByteBufAllocatorMetricProvider p
        ? p.metric().usedDirectMemory()
        : -1;
  }

  private static long heapAfterGc() {
    System.gc();
    return MEMORY.getHeapMemoryUsage().getUsed();
  }

  private void run() {
    long nextGc = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(GC_EVERY_MILLIS);
    while (running) {
      sampleDirect();
      if (System.nanoTime() - nextGc >= 0) {
        heapPeak.accumulateAndGet(heapAfterGc(), Math::max);
        gcSamples++;
        nextGc = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(GC_EVERY_MILLIS);
      }
      try {
        Thread.sleep(SAMPLE_MILLIS);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  private void sampleDirect() {
    allocatorPeak.accumulateAndGet(allocatorDirect(), Math::max);
    trackedPeak.accumulateAndGet(PlatformDependent.usedDirectMemory(), Math::max);
    samples++;
  }

  /** Stops sampling (taking one last heap sample) and returns the peaks. */
  public Peaks stop() {
    if (running) {
      running = false;
      try {
        thread.join(TimeUnit.SECONDS.toMillis(10));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      sampleDirect();
      heapPeak.accumulateAndGet(heapAfterGc(), Math::max);
      gcSamples++;
    }
    return new Peaks(
        allocatorName(),
        allocatorBefore,
        allocatorPeak.get(),
        trackedBefore,
        trackedPeak.get(),
        heapBefore,
        heapPeak.get(),
        samples,
        gcSamples);
  }

  @Override
  public void close() {
    stop();
  }
}
