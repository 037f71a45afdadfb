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
import java.io.IOException;
import java.io.OutputStream;
import java.util.Set;

/**
 * Creates the proxy's Prometheus registry with the process-wide meters: JVM memory, GC, threads and
 * class loading, process CPU usage, uptime and file descriptors, and Netty buffer memory (see
 * {@link NettyMemoryMetrics}). Every meter has a help text, so a scrape passes {@code promtool
 * check metrics}. Closing the returned registry also unbinds the GC listener.
 *
 * <p>Binding the process-wide meters loads a few hundred JMX and management classes, so it is not
 * done on the startup path: {@link #bindInBackground} does it on a short-lived daemon thread once
 * the proxy serves, and every scrape binds them first if that has not happened yet, so no scrape
 * ever misses them.
 */
public final class MetricsRegistryFactory {

  private MetricsRegistryFactory() {}

  /**
   * A new registry; the process-wide meters are bound at the latest by its first scrape.
   *
   * @return the registry; close it on shutdown
   */
  public static PrometheusMeterRegistry create() {
    return new Registry();
  }

  /**
   * Binds the process-wide meters of a registry from {@link #create()} on a daemon thread (does
   * nothing for other registries or when they are bound already).
   *
   * @param registry the registry
   */
  public static void bindInBackground(PrometheusMeterRegistry registry) {
    if (registry instanceof Registry r && !r.bound()) {
      Thread thread = new Thread(r::bindProcessMeters, "plugmesh-metrics-bind");
      thread.setDaemon(true);
      thread.start();
    }
  }

  /** A Prometheus registry that binds the process-wide meters once, before its first scrape. */
  private static final class Registry extends PrometheusMeterRegistry {
    private JvmGcMetrics gcMetrics;
    private boolean closed;
    private volatile boolean bound;

    Registry() {
      super(PrometheusConfig.DEFAULT);
      // promtool rejects these two names (an abbreviated unit, a "_count" suffix on a gauge);
      // process_cpu_usage and system_cpu_usage remain.
      config().meterFilter(MeterFilter.denyNameStartsWith("process.cpu.time"));
      config().meterFilter(MeterFilter.denyNameStartsWith("system.cpu.count"));
    }

    boolean bound() {
      return bound;
    }

    synchronized void bindProcessMeters() {
      if (bound || closed) {
        return;
      }
      gcMetrics = new JvmGcMetrics();
      new JvmMemoryMetrics().bindTo(this);
      gcMetrics.bindTo(this);
      new JvmThreadMetrics().bindTo(this);
      new ClassLoaderMetrics().bindTo(this);
      new ProcessorMetrics().bindTo(this);
      new UptimeMetrics().bindTo(this);
      new FileDescriptorMetrics().bindTo(this);
      new NettyMemoryMetrics().bindTo(this);
      bound = true;
    }

    private void ensureBound() {
      if (!bound) {
        bindProcessMeters();
      }
    }

    @Override
    public String scrape() {
      ensureBound();
      return super.scrape();
    }

    @Override
    public String scrape(String contentType) {
      ensureBound();
      return super.scrape(contentType);
    }

    @Override
    public void scrape(OutputStream outputStream) throws IOException {
      ensureBound();
      super.scrape(outputStream);
    }

    @Override
    public void scrape(OutputStream outputStream, String contentType) throws IOException {
      ensureBound();
      super.scrape(outputStream, contentType);
    }

    @Override
    public String scrape(String contentType, Set<String> includedNames) {
      ensureBound();
      return super.scrape(contentType, includedNames);
    }

    @Override
    public void scrape(OutputStream outputStream, String contentType, Set<String> includedNames)
        throws IOException {
      ensureBound();
      super.scrape(outputStream, contentType, includedNames);
    }

    @Override
    public void close() {
      synchronized (this) {
        closed = true;
        if (gcMetrics != null) {
          gcMetrics.close();
        }
      }
      super.close();
    }
  }
}
