package io.plugmesh.filters;

import io.plugmesh.filters.advanced.UpstreamException;
import java.util.concurrent.CompletionStage;

/** The rest of a route's chain as seen by one filter: the next filters, then the upstream. */
public interface FilterChain {

  /**
   * Passes the request to the rest of the chain.
   *
   * <p>May be called at most once per filter invocation unless the filter's factory declares {@link
   * FilterFactory#replay(Object) replay}; a second call otherwise fails the returned stage with an
   * {@link IllegalStateException}. Upstream failures (connect failure, reset, timeout, overflow)
   * complete the stage exceptionally with an {@link UpstreamException}. Cancelling the returned
   * stage's {@code CompletableFuture} aborts that attempt.
   *
   * <p>The request is normally the one the filter received, but any {@link ProxyRequest} is
   * accepted, e.g. a wrapper that rewrites the path: its method, authority, path and headers are
   * what goes upstream (for that attempt only; the request the filter received is unchanged). The
   * body is always the one the client sent.
   *
   * @param request the request to send, normally the one the filter received
   * @return the response of the rest of the chain
   */
  CompletionStage<ProxyResponse> proceed(ProxyRequest request);
}
