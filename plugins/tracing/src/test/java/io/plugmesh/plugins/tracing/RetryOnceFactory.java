package io.plugmesh.plugins.tracing;

import io.plugmesh.filters.ConfigNode;
import io.plugmesh.filters.Filter;
import io.plugmesh.filters.FilterFactory;
import io.plugmesh.filters.FilterServices;
import io.plugmesh.filters.Phase;
import java.util.concurrent.CompletableFuture;

/**
 * A test retry: when the first attempt answers 503 it sends the request again, to the path given in
 * the config, so the second attempt succeeds.
 */
final class RetryOnceFactory implements FilterFactory<String> {
  @Override
  public String name() {
    return "retry-once";
  }

  @Override
  public Phase phase() {
    return Phase.RETRY;
  }

  @Override
  public String configSchema() {
    return """
        {"type": "object", "required": ["retryPath"], "additionalProperties": false,
         "properties": {"retryPath": {"type": "string"}}}""";
  }

  @Override
  public String parseConfig(ConfigNode config) {
    return config.string("retryPath");
  }

  @Override
  public int replay(String config) {
    return 64 * 1024;
  }

  @Override
  public Filter create(String retryPath, FilterServices services) {
    return (request, chain) ->
        chain
            .proceed(request)
            .thenCompose(
                first -> {
                  if (first.status() != 503) {
                    return CompletableFuture.completedFuture(first);
                  }
                  first.discard();
                  request.setPath(retryPath);
                  return chain.proceed(request);
                });
  }
}
