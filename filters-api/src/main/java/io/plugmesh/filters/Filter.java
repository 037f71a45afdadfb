package io.plugmesh.filters;

import java.util.concurrent.CompletionStage;

/**
 * A step in a route's filter chain, around-style and asynchronous.
 *
 * <p>A filter may call {@link FilterChain#proceed(ProxyRequest)} to pass the request on (to the
 * next filter and finally the upstream), answer itself without proceeding (a 401, a 429, an
 * injected 503), proceed later (a delay), proceed again (a retry, when its factory declares {@link
 * FilterFactory#replay(Object) replay}), or wrap the result (a span):
 *
 * <pre>{@code
 * Filter timing = (request, chain) -> {
 *   long start = System.nanoTime();
 *   return chain.proceed(request).thenApply(response -> {
 *     response.headers().set("x-upstream-nanos", Long.toString(System.nanoTime() - start));
 *     return response;
 *   });
 * };
 * }</pre>
 *
 * <p>Rules: never return {@code null}; never block the calling thread; a thrown exception becomes a
 * failed stage, which the proxy answers with a 5xx naming no internals. The returned stage may
 * complete on any thread; the proxy hops back to the connection's own thread.
 */
@FunctionalInterface
public interface Filter {

  /**
   * Handles one request.
   *
   * @param request the request; its headers are mutable until the request is passed on
   * @param chain the rest of the chain, ending at the upstream
   * @return the response, from the chain or made by this filter
   */
  CompletionStage<ProxyResponse> filter(ProxyRequest request, FilterChain chain);
}
