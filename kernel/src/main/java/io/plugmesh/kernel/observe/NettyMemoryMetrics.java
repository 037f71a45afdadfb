package io.plugmesh.kernel.observe;

import static java.util.Objects.requireNonNull;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetric;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.internal.PlatformDependent;
import java.util.function.ToDoubleFunction;

/**
 * Netty buffer memory as gauges with help texts (Micrometer's own Netty binder has none, which
 * {@code promtool check metrics} rejects): {@code netty_allocator_memory_used_bytes} and, for the
 * pooled allocator, {@code netty_allocator_memory_pinned_bytes}, labelled {@code allocator} ({@code
 * pooled} for {@link PooledByteBufAllocator#DEFAULT}, {@code default} for {@link
 * ByteBufAllocator#DEFAULT} when that is another allocator) and {@code memory_type} ({@code heap},
 * {@code direct}); and {@code netty_direct_memory_used_bytes}, all direct memory Netty tracks (-1
 * when it tracks none).
 */
final class NettyMemoryMetrics implements MeterBinder {

  @Override
  public void bindTo(MeterRegistry registry) {
    requireNonNull(registry, "registry");
    PooledByteBufAllocator pooled = PooledByteBufAllocator.DEFAULT;
    bindAllocator(registry, "pooled", pooled.metric());
    pinned(registry, "heap", pooled, PooledByteBufAllocator::pinnedHeapMemory);
    pinned(registry, "direct", pooled, PooledByteBufAllocator::pinnedDirectMemory);
    ByteBufAllocator defaultAllocator = ByteBufAllocator.DEFAULT;
    if (defaultAllocator != pooled
        && defaultAllocator instanceof ByteBufAllocatorMetricProvider provider) {
      bindAllocator(registry, "default", provider.metric());
    }
    Gauge.builder("netty.direct.memory.used", PlatformDependent::usedDirectMemory)
        .description(
            "Direct memory Netty has reserved for buffers, or -1 when Netty does not track it.")
        .baseUnit("bytes")
        .register(registry);
  }

  private static void bindAllocator(
      MeterRegistry registry, String allocator, ByteBufAllocatorMetric metric) {
    used(registry, allocator, "heap", metric, ByteBufAllocatorMetric::usedHeapMemory);
    used(registry, allocator, "direct", metric, ByteBufAllocatorMetric::usedDirectMemory);
  }

  private static void used(
      MeterRegistry registry,
      String allocator,
      String memoryType,
      ByteBufAllocatorMetric metric,
      ToDoubleFunction<ByteBufAllocatorMetric> value) {
    Gauge.builder("netty.allocator.memory.used", metric, value)
        .description("Memory a Netty buffer allocator holds, in use or cached.")
        .baseUnit("bytes")
        .tag("allocator", allocator)
        .tag("memory_type", memoryType)
        .strongReference(true)
        .register(registry);
  }

  private static void pinned(
      MeterRegistry registry,
      String memoryType,
      PooledByteBufAllocator pooled,
      ToDoubleFunction<PooledByteBufAllocator> value) {
    Gauge.builder("netty.allocator.memory.pinned", pooled, value)
        .description("Memory of a pooled Netty allocator held by live buffers.")
        .baseUnit("bytes")
        .tag("allocator", "pooled")
        .tag("memory_type", memoryType)
        .strongReference(true)
        .register(registry);
  }
}
