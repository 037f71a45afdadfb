package io.plugmesh.filters.advanced;

import static java.util.Objects.requireNonNull;

/**
 * The trace position of a request, in W3C form.
 *
 * @param traceId 32 lower-case hex characters
 * @param spanId 16 lower-case hex characters: the span the proxy opened for this request
 * @param sampled whether the trace is recorded
 */
public record TraceContext(String traceId, String spanId, boolean sampled) {

  /**
   * Creates a trace context.
   *
   * @param traceId the trace id
   * @param spanId the span id
   * @param sampled whether sampled
   */
  public TraceContext {
    requireNonNull(traceId, "traceId");
    requireNonNull(spanId, "spanId");
  }
}
