package io.plugmesh.filters.testkit;

import io.plugmesh.filters.Filter;
import io.plugmesh.filters.FilterChain;
import io.plugmesh.filters.HeadersFilter;
import io.plugmesh.filters.ProxyRequest;
import io.plugmesh.filters.ProxyResponse;
import io.plugmesh.filters.RequestDecision;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Wraps a plugin's filter so a send can tell which plugin made the final response. The wrapper
 * changes nothing the chain runner sees: same throws, same nulls, same results, and cancelling its
 * stage cancels the filter's own.
 */
final class Tracing {
  private Tracing() {}

  static Filter wrap(String plugin, Filter filter) {
    if (filter instanceof HeadersFilter headers && usesDefaultFilterMethod(headers)) {
      return new TracedHeadersFilter(plugin, headers);
    }
    return new TracedFilter(plugin, filter);
  }

  private static boolean usesDefaultFilterMethod(HeadersFilter filter) {
    try {
      return filter
              .getClass()
              .getMethod("filter", ProxyRequest.class, FilterChain.class)
              .getDeclaringClass()
          == HeadersFilter.class;
    } catch (NoSuchMethodException e) {
      return false;
    }
  }

  /** Keeps a {@link HeadersFilter} a headers filter, so the runner may treat it as one. */
  private record TracedHeadersFilter(String plugin, HeadersFilter inner) implements HeadersFilter {
    @Override
    public RequestDecision onRequest(ProxyRequest request) {
      RequestDecision decision = inner.onRequest(request);
      if (decision instanceof RequestDecision.Respond respond) {
        RunTrace trace = RunTrace.of(request);
        if (trace != null) {
          trace.returned(plugin, respond.response());
        }
      }
      return decision;
    }

    @Override
    public void onResponse(ProxyRequest request, ProxyResponse response) {
      inner.onResponse(request, response);
    }

    @Override
    public boolean hasResponseHook() {
      return inner.hasResponseHook();
    }

    @Override
    public String toString() {
      return inner.toString();
    }
  }

  /** Records the response a filter's stage completes with before the runner sees it. */
  private record TracedFilter(String plugin, Filter inner) implements Filter {
    @Override
    public CompletionStage<ProxyResponse> filter(ProxyRequest request, FilterChain chain) {
      CompletionStage<ProxyResponse> stage = inner.filter(request, chain);
      RunTrace trace = RunTrace.of(request);
      if (stage == null || trace == null) {
        return stage;
      }
      CompletableFuture<ProxyResponse> out = new CompletableFuture<>();
      stage.whenComplete(
          (response, error) -> {
            if (error != null) {
              out.completeExceptionally(error);
            } else {
              trace.returned(plugin, response);
              if (!out.complete(response) && response != null) {
                response.discard(); // cancelled meanwhile, as the runner does
              }
            }
          });
      out.whenComplete(
          (r, e) -> {
            if (out.isCancelled()) {
              try {
                stage.toCompletableFuture().cancel(false);
              } catch (UnsupportedOperationException ignored) {
                // The filter's stage cannot be cancelled; it finishes on its own.
              }
            }
          });
      return out;
    }

    @Override
    public String toString() {
      return inner.toString();
    }
  }
}
