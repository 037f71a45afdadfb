package io.plugmesh.plugins.tracing;

import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/** Keeps exported spans (also after shutdown, unlike the SDK's in-memory exporter). */
final class RecordingExporter implements SpanExporter {
  private final List<SpanData> spans = new CopyOnWriteArrayList<>();
  private final AtomicInteger shutdowns = new AtomicInteger();

  @Override
  public CompletableResultCode export(Collection<SpanData> batch) {
    if (shutdowns.get() > 0) {
      return CompletableResultCode.ofFailure();
    }
    spans.addAll(batch);
    return CompletableResultCode.ofSuccess();
  }

  @Override
  public CompletableResultCode flush() {
    return CompletableResultCode.ofSuccess();
  }

  @Override
  public CompletableResultCode shutdown() {
    shutdowns.incrementAndGet();
    return CompletableResultCode.ofSuccess();
  }

  List<SpanData> spans() {
    return List.copyOf(spans);
  }

  int shutdowns() {
    return shutdowns.get();
  }
}
