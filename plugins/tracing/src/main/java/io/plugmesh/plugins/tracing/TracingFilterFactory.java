package io.plugmesh.plugins.tracing;

import static java.util.Objects.requireNonNull;

import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.plugmesh.filters.ConfigNode;
import io.plugmesh.filters.Filter;
import io.plugmesh.filters.FilterFactory;
import io.plugmesh.filters.FilterServices;
import io.plugmesh.filters.Phase;
import java.util.function.Function;
import org.pf4j.Extension;

/**
 * The {@code tracing} plugin: W3C and B3 trace propagation, OpenTelemetry SERVER and CLIENT spans,
 * sampling per route, OTLP export over gRPC or HTTP. See the plugin's README.
 */
@Extension
public final class TracingFilterFactory implements FilterFactory<TracingConfig> {

  /** The plugin's name in route config. */
  public static final String NAME = "tracing";

  private final Function<TracingConfig.Export, SpanExporter> exporters;

  /** The factory PF4J creates: spans go to OTLP collectors. */
  public TracingFilterFactory() {
    this(TracingSdk::otlpExporter);
  }

  /** A factory whose spans go to exporters made by {@code exporters} (tests). */
  TracingFilterFactory(Function<TracingConfig.Export, SpanExporter> exporters) {
    this.exporters = requireNonNull(exporters, "exporters");
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Phase phase() {
    return Phase.OBSERVE;
  }

  @Override
  public TracingConfig parseConfig(ConfigNode config) {
    return TracingConfig.parse(config);
  }

  @Override
  public Filter create(TracingConfig config, FilterServices services) {
    TracingSdk sdk =
        services.shared(
            config.export().sharedKey(),
            TracingSdk.class,
            () -> TracingSdk.create(config.export(), exporters));
    return new TracingFilter(config, sdk.tracer(), services.metrics());
  }
}
