package io.plugmesh.pluginruntime;

import io.plugmesh.filters.ContextKey;
import io.plugmesh.filters.Headers;
import io.plugmesh.filters.ProxyRequest;
import io.plugmesh.filters.ProxyResponse;
import io.plugmesh.filters.RequestContext;
import io.plugmesh.filters.advanced.ResponseFlag;
import io.plugmesh.filters.internal.ChainRunner;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A minimal in-memory request for running chains in tests. Elsewhere tests use the test kit's
 * {@code TestRequest}; this module cannot: filters-testkit depends on it (for {@link
 * ConfigSchemas}), and a test dependency back would be a cycle.
 */
final class TestRequest implements ProxyRequest {
  private final String method;
  private String path;
  private final Headers headers = Headers.create();
  private final Context context = new Context();

  TestRequest(String method, String path) {
    this.method = method;
    this.path = path;
  }

  static TestRequest get(String path) {
    return new TestRequest("GET", path);
  }

  /** Runs a chain synchronously against an upstream that answers 200 "upstream" and counts. */
  static ProxyResponse run(BuiltChain chain, ProxyRequest request, AtomicInteger upstreamCalls) {
    return chain
        .runner()
        .run(
            request,
            r -> {
              upstreamCalls.incrementAndGet();
              return CompletableFuture.completedFuture(ProxyResponse.of(200, "upstream"));
            },
            Runnable::run,
            chain.observer())
        .toCompletableFuture()
        .join();
  }

  static ProxyResponse run(ChainRunner runner, ProxyRequest request) {
    return runner
        .run(
            request,
            r -> CompletableFuture.completedFuture(ProxyResponse.of(200, "upstream")),
            Runnable::run,
            ChainRunner.Observer.NONE)
        .toCompletableFuture()
        .join();
  }

  @Override
  public String method() {
    return method;
  }

  @Override
  public String scheme() {
    return "http";
  }

  @Override
  public String authority() {
    return "test.local";
  }

  @Override
  public String path() {
    return path;
  }

  @Override
  public void setPath(String pathAndQuery) {
    this.path = pathAndQuery;
  }

  @Override
  public String protocol() {
    return "HTTP/1.1";
  }

  @Override
  public Headers headers() {
    return headers;
  }

  @Override
  public RequestContext context() {
    return context;
  }

  @Override
  public Optional<byte[]> body() {
    return Optional.empty();
  }

  @Override
  public boolean replayable() {
    return false;
  }

  private static final class Context implements RequestContext {
    private final Map<ContextKey<?>, Object> values = new HashMap<>();
    private final List<ResponseFlag> flags = new ArrayList<>();

    @Override
    public <T> Optional<T> get(ContextKey<T> key) {
      return Optional.ofNullable(key.type().cast(values.get(key)));
    }

    @Override
    public <T> void put(ContextKey<T> key, T value) {
      values.put(key, value);
    }

    @Override
    public String requestId() {
      return "req-1";
    }

    @Override
    public String routeName() {
      return "test";
    }

    @Override
    public void addResponseFlag(ResponseFlag flag) {
      flags.add(flag);
    }
  }
}
