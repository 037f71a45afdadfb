package io.plugmesh.filters.advanced;

import io.plugmesh.filters.RequestContext;

/**
 * Hears each upstream attempt of one request right before it is sent; registered with {@link
 * RequestContext#onUpstreamAttempt}. This is how a filter sees every attempt of a retried request,
 * e.g. to open one client span per attempt and inject its trace headers.
 *
 * <p>{@link Unstable}, like {@link UpstreamAttempt}.
 */
@Unstable
@FunctionalInterface
public interface UpstreamAttemptListener {

  /**
   * Called on the request's thread before the attempt's request head is written. Must not block. A
   * listener that throws is logged and ignored by the proxy; the attempt is still sent.
   *
   * @param attempt the attempt about to be sent
   */
  void onAttempt(UpstreamAttempt attempt);
}
