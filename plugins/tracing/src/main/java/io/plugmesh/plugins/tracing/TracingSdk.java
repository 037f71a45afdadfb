package io.plugmesh.plugins.tracing;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporterBuilder;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporterBuilder;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.ReadWriteSpan;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.opentelemetry.semconv.ServiceAttributes;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * One OpenTelemetry tracer provider with its batching processor and OTLP exporter, shared by every
 * route (and config version) whose export settings are equal, through {@link
 * io.plugmesh.filters.FilterServices#shared}; closed when the plugin unloads. Finished spans go to
 * a bounded queue that a background thread exports: a full queue drops spans, a slow or absent
 * collector never holds up a request.
 */
final class TracingSdk implements AutoCloseable {

  /** How long closing waits for queued spans to be exported. */
  static final long CLOSE_TIMEOUT_SECONDS = 5;

  private static final String INSTRUMENTATION_SCOPE = "io.plugmesh.plugins.tracing";

  private final SdkTracerProvider provider;
  private final Tracer tracer;

  private TracingSdk(SdkTracerProvider provider) {
    this.provider = provider;
    this.tracer = provider.get(INSTRUMENTATION_SCOPE);
  }

  /**
   * Builds the SDK for export settings.
   *
   * @param export the settings
   * @param exporters makes the exporter (the OTLP one in production)
   */
  static TracingSdk create(
      TracingConfig.Export export, Function<TracingConfig.Export, SpanExporter> exporters) {
    Resource resource =
        Resource.getDefault()
            .merge(
                Resource.create(
                    Attributes.of(ServiceAttributes.SERVICE_NAME, export.serviceName())));
    var builder = SdkTracerProvider.builder().setResource(resource).setSampler(new RouteSampler());
    SpanExporter exporter = exporters.apply(export);
    if (exporter != null) {
      SpanProcessor processor =
          BatchSpanProcessor.builder(exporter)
              .setMaxQueueSize(export.maxQueueSize())
              .setMaxExportBatchSize(export.maxExportBatchSize())
              .setScheduleDelay(export.scheduleDelay())
              .setExporterTimeout(export.timeout())
              .build();
      builder.addSpanProcessor(processor);
    } else {
      // Without any processor the SDK hands out a no-op tracer whose ids are all zero; with export
      // off, ids and propagation must still work.
      builder.addSpanProcessor(IdsOnly.INSTANCE);
    }
    return new TracingSdk(builder.build());
  }

  /** The OTLP exporter for the settings, or null for protocol {@code none}. */
  static SpanExporter otlpExporter(TracingConfig.Export export) {
    ClassLoader loader = TracingSdk.class.getClassLoader();
    switch (export.protocol()) {
      case GRPC -> {
        OtlpGrpcSpanExporterBuilder b =
            OtlpGrpcSpanExporter.builder()
                .setEndpoint(export.endpoint())
                .setTimeout(export.timeout())
                .setServiceClassLoader(loader);
        for (Map.Entry<String, String> h : export.headers().entrySet()) {
          b.addHeader(h.getKey(), h.getValue());
        }
        return b.build();
      }
      case HTTP_PROTOBUF -> {
        OtlpHttpSpanExporterBuilder b =
            OtlpHttpSpanExporter.builder()
                .setEndpoint(export.endpoint())
                .setTimeout(export.timeout())
                .setServiceClassLoader(loader);
        for (Map.Entry<String, String> h : export.headers().entrySet()) {
          b.addHeader(h.getKey(), h.getValue());
        }
        return b.build();
      }
      default -> {
        return null;
      }
    }
  }

  Tracer tracer() {
    return tracer;
  }

  /** Exports what is queued now. */
  CompletableResultCode forceFlush() {
    return provider.forceFlush();
  }

  /** Exports what is queued (waiting a bounded time) and stops the exporter. */
  @Override
  public void close() {
    provider.shutdown().join(CLOSE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
  }

  /** A processor that keeps nothing: spans get real ids and propagate, nothing is exported. */
  private enum IdsOnly implements SpanProcessor {
    INSTANCE;

    @Override
    public void onStart(io.opentelemetry.context.Context parentContext, ReadWriteSpan span) {}

    @Override
    public boolean isStartRequired() {
      return false;
    }

    @Override
    public void onEnd(ReadableSpan span) {}

    @Override
    public boolean isEndRequired() {
      return false;
    }
  }
}
