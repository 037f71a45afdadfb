package io.plugmesh.plugins.tracing;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.ContextKey;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.opentelemetry.sdk.trace.samplers.SamplingResult;
import java.util.List;

/**
 * The sampler of the shared tracer provider: routes share one SDK but each has its own sampling, so
 * a server span carries its route's sampler in the parent {@link Context} under {@link #KEY}. Spans
 * without one (client spans) follow their parent.
 */
final class RouteSampler implements Sampler {
  /** Where a span's parent context carries the sampler of its route. */
  static final ContextKey<Sampler> KEY = ContextKey.named("plugmesh-route-sampler");

  private static final Sampler FOLLOW_PARENT = Sampler.parentBased(Sampler.alwaysOff());

  /** The sampler of a route: parent-based or not, with a ratio for new traces. */
  static Sampler forRoute(TracingConfig.Sampling sampling) {
    Sampler ratio = Sampler.traceIdRatioBased(sampling.ratio());
    return sampling.respectParent() ? Sampler.parentBased(ratio) : ratio;
  }

  @Override
  public SamplingResult shouldSample(
      Context parentContext,
      String traceId,
      String name,
      SpanKind spanKind,
      Attributes attributes,
      List<LinkData> parentLinks) {
    Sampler route = parentContext.get(KEY);
    return (route != null ? route : FOLLOW_PARENT)
        .shouldSample(parentContext, traceId, name, spanKind, attributes, parentLinks);
  }

  @Override
  public String getDescription() {
    return "PlugmeshRouteSampler";
  }
}
