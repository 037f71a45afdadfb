package io.plugmesh.kernel.observe;

import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/**
 * Creates the proxy's Prometheus registry with the process-wide meters bound: JVM memory, GC,
 * threads and class loading, process CPU usage, uptime and file descriptors, and Netty buffer
 * memory (see {@link NettyMemoryMetrics}). Every meter has a help text, so a scrape passes {@code
 * promtool check metrics}. Closing the returned registry also unbinds the GC listener.
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
    // promtool rejects these two names (an abbreviated unit, a "_count" suffix on a gauge);
    // process_cpu_usage and system_cpu_usage remain.
    registry.config().meterFilter(MeterFilter.denyNameStartsWith("process.cpu.time"));
    registry.config().meterFilter(MeterFilter.denyNameStartsWith("system.cpu.count"));
    new JvmMemoryMetrics().bindTo(registry);
    gcMetrics.bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    new FileDescriptorMetrics().bindTo(registry);
    new NettyMemoryMetrics().bindTo(registry);
    return registry;
  }
}
