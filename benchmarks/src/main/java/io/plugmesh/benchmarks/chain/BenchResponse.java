package io.plugmesh.benchmarks.chain;

import io.plugmesh.filters.Headers;
import io.plugmesh.filters.ProxyResponse;

/** A minimal upstream response: status 200 and two headers; its body would stream. */
final class BenchResponse implements ProxyResponse {
  private final Headers headers = Headers.create();

  BenchResponse() {
    headers.set("content-type", "text/plain");
    headers.set("content-length", "200");
  }

  @Override
  public int status() {
    return 200;
  }

  @Override
  public Headers headers() {
    return headers;
  }

  @Override
  public boolean fromUpstream() {
    return true;
  }
}
