package io.plugmesh.kernel.observe;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.netty4.NettyAllocatorMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.internal.PlatformDependent;

/**
 * Creates the proxy's Prometheus registry with the process-wide meters bound: JVM memory, GC,
 * threads and class loading, process CPU, uptime and file descriptors, and Netty buffer memory
 * ({@code netty_allocator_*} for the pooled and the default allocator, and {@code
 * netty_direct_memory_used_bytes} for all direct memory Netty tracks, -1 when it tracks none).
 * Closing the returned registry also unbinds the GC listener.
 */
public final class MetricsRegistryFactory {

  private MetricsRegistryFactory() {}

  /**
   * A new registry with the process-wide meters bound.
   *
   * @return the registry; close it on shutdown
   */
  public static PrometheusMeterRegistry create() {
    JvmGcMetrics gcMetrics = new JvmGcMetrics();
    PrometheusMeterRegistry registry =
        new PrometheusMeterRegistry(PrometheusConfig.DEFAULT) {
          @Override
          public void close() {
            gcMetrics.close();
            super.close();
          }
        };
    new JvmMemoryMetrics().bindTo(registry);
    gcMetrics.bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    new FileDescriptorMetrics().bindTo(registry);
    bindNetty(registry);
    return registry;
  }

  /**
   * Binds Netty allocator and direct memory gauges.
   *
   * @param registry the registry
   */
  static void bindNetty(MeterRegistry registry) {
    new NettyAllocatorMetrics(PooledByteBufAllocator.DEFAULT).bindTo(registry);
    ByteBufAllocator defaultAllocator = ByteBufAllocator.DEFAULT;
    if (defaultAllocator != PooledByteBufAllocator.DEFAULT
        && defaultAllocator instanceof ByteBufAllocatorMetricProvider provider) {
      new NettyAllocatorMetrics(provider).bindTo(registry);
    }
    Gauge.builder("netty.direct.memory.used", MetricsRegistryFactory::nettyDirectMemory)
        .description(
            "Direct memory Netty has reserved for buffers, or -1 when Netty does not track it.")
        .baseUnit("bytes")
        .register(registry);
  }

  private static double nettyDirectMemory() {
    return PlatformDependent.usedDirectMemory();
  }
}
