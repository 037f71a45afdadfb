package io.plugmesh.plugins.tracing;

import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.context.propagation.TextMapSetter;
import io.opentelemetry.extension.trace.propagation.B3Propagator;
import io.plugmesh.filters.Headers;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Reads and writes trace headers with the OpenTelemetry propagators (W3C Trace Context, B3 single
 * and multi header), over plugmesh {@link Headers}. A header that arrives more than once is treated
 * as absent (ambiguous), except {@code tracestate}, whose values W3C lets a receiver join.
 */
final class Propagation {
  private static final String TRACESTATE = "tracestate";

  /** Every header any supported format uses: all are removed before injecting fresh ones. */
  static final Set<String> ALL_TRACE_HEADERS = allFields();

  private final TextMapPropagator extractor;
  private final TextMapPropagator injector;

  Propagation(List<TracingConfig.Format> extract, List<TracingConfig.Format> inject) {
    this.extractor = composite(extract);
    this.injector = composite(inject);
  }

  /** The context the caller sent, or {@link Context#root()} when none (or none valid) arrived. */
  Context extract(Headers headers) {
    return extractor.extract(Context.root(), headers, GETTER);
  }

  /**
   * Removes every trace header the request carried, so none reaches the upstream stale or twice.
   */
  static void strip(Headers headers) {
    for (String name : ALL_TRACE_HEADERS) {
      headers.remove(name);
    }
  }

  /** Writes the trace headers of {@code context}, replacing any present. */
  void inject(Context context, Headers headers) {
    injector.inject(context, headers, SETTER);
  }

  private static TextMapPropagator composite(List<TracingConfig.Format> formats) {
    List<TextMapPropagator> list = new ArrayList<>();
    for (TracingConfig.Format f : formats) {
      list.add(propagator(f));
    }
    return TextMapPropagator.composite(list);
  }

  private static TextMapPropagator propagator(TracingConfig.Format format) {
    return switch (format) {
      case TRACECONTEXT -> W3CTraceContextPropagator.getInstance();
      case B3 -> B3Propagator.injectingSingleHeader();
      case B3MULTI -> B3Propagator.injectingMultiHeaders();
    };
  }

  private static Set<String> allFields() {
    Set<String> names = new LinkedHashSet<>();
    for (TracingConfig.Format f : TracingConfig.Format.values()) {
      for (String field : propagator(f).fields()) {
        names.add(field.toLowerCase(Locale.ROOT));
      }
    }
    // B3 extractors also read these, which the injectors do not list.
    names.add("x-b3-parentspanid");
    names.add("x-b3-flags");
    names.add(TRACESTATE);
    return Set.copyOf(names);
  }

  private static final TextMapGetter<Headers> GETTER =
      new TextMapGetter<>() {
        @Override
        public String get(Headers carrier, String key) {
          if (carrier == null) {
            return null;
          }
          List<String> values = carrier.getAll(key);
          if (values.isEmpty()) {
            return null;
          }
          if (values.size() == 1) {
            return values.get(0);
          }
          return TRACESTATE.equalsIgnoreCase(key) ? String.join(",", values) : null;
        }
      };

  private static final TextMapSetter<Headers> SETTER =
      (carrier, key, value) -> {
        if (carrier != null) {
          carrier.set(key, value);
        }
      };
}
