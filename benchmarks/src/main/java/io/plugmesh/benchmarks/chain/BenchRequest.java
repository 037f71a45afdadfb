package io.plugmesh.benchmarks.chain;

import io.plugmesh.filters.Headers;
import io.plugmesh.filters.ProxyRequest;
import io.plugmesh.filters.RequestContext;
import java.util.Optional;

/** A minimal in-memory request: fixed method and path, a few headers, no body. */
final class BenchRequest implements ProxyRequest {
  private final Headers headers = Headers.create();
  private final RequestContext context = new BenchContext();
  private String path = "/bench";

  BenchRequest() {
    headers.set("host", "bench.local");
    headers.set("user-agent", "jmh");
    headers.set("accept", "*/*");
  }

  @Override
  public String method() {
    return "GET";
  }

  @Override
  public String scheme() {
    return "http";
  }

  @Override
  public String authority() {
    return "bench.local";
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
    return true;
  }
}
