package io.plugmesh.filters.testkit;

import io.plugmesh.filters.ConfigNode;
import io.plugmesh.filters.Filter;
import io.plugmesh.filters.FilterChain;
import io.plugmesh.filters.FilterFactory;
import io.plugmesh.filters.FilterServices;
import io.plugmesh.filters.Phase;
import io.plugmesh.filters.ProxyRequest;
import io.plugmesh.filters.ProxyResponse;
import io.plugmesh.filters.advanced.ResponseFlag;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A small retry plugin for the harness's own tests: retries 5xx and upstream failures, discarding
 * what it drops, and answers 503 itself when attempts run out.
 */
final class RetryFactory implements FilterFactory<RetryFactory.Config> {

  record Config(int attempts, int replayBytes, boolean discard) {}

  @Override
  public String name() {
    return "retry";
  }

  @Override
  public Phase phase() {
    return Phase.RETRY;
  }

  @Override
  public String configSchema() {
    return """
        {"type": "object", "required": ["attempts"],
         "properties": {
           "attempts": {"type": "integer", "minimum": 1},
           "replayBytes": {"type": "integer", "minimum": 0},
           "discard": {"type": "boolean"}}}""";
  }

  @Override
  public Config parseConfig(ConfigNode config) {
    return new Config(
        config.integer("attempts"),
        config.integer("replayBytes", 1024),
        config.bool("discard", true));
  }

  @Override
  public int replay(Config config) {
    return config.replayBytes();
  }

  @Override
  public Filter create(Config config, FilterServices services) {
    return new Filter() {
      @Override
      public CompletionStage<ProxyResponse> filter(ProxyRequest request, FilterChain chain) {
        return attempt(request, chain, 1);
      }

      private CompletionStage<ProxyResponse> attempt(
          ProxyRequest request, FilterChain chain, int n) {
        return chain
            .proceed(request)
            .handle(
                (response, error) -> {
                  boolean retry = error != null || response.status() >= 500;
                  if (!retry) {
                    return CompletableFuture.completedFuture(response);
                  }
                  if (response != null && config.discard()) {
                    response.discard();
                  }
                  if (n >= config.attempts() || !request.replayable()) {
                    request.context().addResponseFlag(ResponseFlag.UPSTREAM_RETRY_LIMIT_EXCEEDED);
                    return CompletableFuture.completedFuture(
                        ProxyResponse.of(503, "retries exhausted\n"));
                  }
                  services.metrics().counter("retries").increment();
                  return attempt(request, chain, n + 1);
                })
            .thenCompose(stage -> stage);
      }
    };
  }
}
