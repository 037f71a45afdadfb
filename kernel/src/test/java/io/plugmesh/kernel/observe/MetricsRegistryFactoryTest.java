package io.plugmesh.kernel.observe;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import org.junit.jupiter.api.Test;

class MetricsRegistryFactoryTest {

  @Test
  void bindsJvmProcessAndNettyMeters() {
    PrometheusMeterRegistry registry = MetricsRegistryFactory.create();
    try {
      ByteBuf buf = PooledByteBufAllocator.DEFAULT.directBuffer(1024);
      try {
        String text = registry.scrape();
        assertThat(text)
            .contains("jvm_memory_used_bytes{")
            .contains("jvm_gc_")
            .contains("jvm_threads_live_threads ")
            .contains("jvm_classes_loaded_classes ")
            .contains("process_uptime_seconds ")
            .contains("process_cpu_usage ")
            .contains("netty_direct_memory_used_bytes ")
            .contains(
                "netty_allocator_memory_pinned_bytes{allocator=\"pooled\",memory_type=\"heap\"}")
            .doesNotContain("process_cpu_time_ns_total")
            .doesNotContain("system_cpu_count ");
        double pooledDirect =
            registry
                .get("netty.allocator.memory.used")
                .tag("allocator", "pooled")
                .tag("memory_type", "direct")
                .gauge()
                .value();
        assertThat(pooledDirect).isGreaterThan(0);
      } finally {
        buf.release();
      }
    } finally {
      registry.close();
    }
  }
}
