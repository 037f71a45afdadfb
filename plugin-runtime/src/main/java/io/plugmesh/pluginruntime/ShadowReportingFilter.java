package io.plugmesh.pluginruntime;

import static java.util.Objects.requireNonNull;

import io.plugmesh.filters.Filter;
import io.plugmesh.filters.FilterChain;
import io.plugmesh.filters.ProxyRequest;
import io.plugmesh.filters.ProxyResponse;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wraps a shadow-mode filter to log, rate-limited, the answer it would have given; the runner then
 * discards that answer and lets the request go on.
 */
final class ShadowReportingFilter implements Filter {
  private static final Logger log = LoggerFactory.getLogger(ShadowReportingFilter.class);

  private final String route;
  private final String plugin;
  private final Filter delegate;
  private final RateLimitedLog shadowLog;

  ShadowReportingFilter(String route, String plugin, Filter delegate, RateLimitedLog shadowLog) {
    this.route = requireNonNull(route, "route");
    this.plugin = requireNonNull(plugin, "plugin");
    this.delegate = requireNonNull(delegate, "delegate");
    this.shadowLog = requireNonNull(shadowLog, "shadowLog");
  }

  Filter delegate() {
    return delegate;
  }

  @Override
  public CompletionStage<ProxyResponse> filter(ProxyRequest request, FilterChain chain) {
    AtomicBoolean proceeded = new AtomicBoolean();
    CompletionStage<ProxyResponse> stage =
        delegate.filter(
            request,
            next -> {
              proceeded.set(true);
              return chain.proceed(next);
            });
    if (stage != null && log.isInfoEnabled()) {
      stage.whenComplete(
          (response, error) -> {
            if (error == null && response != null && !proceeded.get()) {
              report(request, response);
            }
          });
    }
    return stage;
  }

  private void report(ProxyRequest request, ProxyResponse response) {
    long dropped = shadowLog.acquire();
    if (dropped >= 0) {
      log.info(
          "route '{}': plugin '{}' in shadow mode would have answered {} to {} {} (request {});"
              + " the request went on{}",
          route,
          plugin,
          response.status(),
          request.method(),
          request.path(),
          request.context().requestId(),
          RateLimitedLog.droppedSuffix(dropped));
    }
  }
}
