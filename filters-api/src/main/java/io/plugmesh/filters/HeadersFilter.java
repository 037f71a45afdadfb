package io.plugmesh.filters;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The common case as a few lines: decide on the request headers, synchronously, then optionally
 * look at the response headers.
 *
 * <pre>{@code
 * HeadersFilter requireTenant = request ->
 *     request.headers().contains("x-tenant")
 *         ? RequestDecision.proceed()
 *         : RequestDecision.respond(ProxyResponse.of(400, "x-tenant header is required\n"));
 * }</pre>
 *
 * <p>Keep the default {@link #filter} and the proxy runs the hooks itself: a filter that continues
 * and has no response hook costs the request no future and no chain object. A filter that overrides
 * {@link #filter} runs like any other {@link Filter}.
 */
@FunctionalInterface
public interface HeadersFilter extends Filter {

  /**
   * Decides what to do with a request. Must not block.
   *
   * @param request the request, with mutable headers
   * @return {@link RequestDecision#proceed()} to continue or {@link RequestDecision#respond} to
   *     answer now
   */
  RequestDecision onRequest(ProxyRequest request);

  /**
   * Called with the response of the rest of the chain, before it goes back; headers are mutable.
   * The default does nothing.
   *
   * @param request the request as passed on
   * @param response the response
   */
  default void onResponse(ProxyRequest request, ProxyResponse response) {}

  /**
   * Whether {@link #onResponse} does something; the runner skips the response hook when false.
   *
   * @return true if {@link #onResponse} is overridden
   */
  default boolean hasResponseHook() {
    return false;
  }

  @Override
  default CompletionStage<ProxyResponse> filter(ProxyRequest request, FilterChain chain) {
    RequestDecision decision = onRequest(request);
    if (decision instanceof RequestDecision.Respond respond) {
      return CompletableFuture.completedFuture(respond.response());
    }
    if (decision == null) {
      throw new IllegalStateException("onRequest returned null (expected: a RequestDecision)");
    }
    CompletionStage<ProxyResponse> next = chain.proceed(request);
    if (!hasResponseHook()) {
      return next;
    }
    return next.thenApply(
        response -> {
          onResponse(request, response);
          return response;
        });
  }
}
