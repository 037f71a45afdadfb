package io.plugmesh.filters.testkit;

import io.plugmesh.filters.Headers;
import io.plugmesh.filters.ProxyRequest;
import java.util.Optional;

/** The {@link ProxyRequest} a test send hands to the chain; made by {@link TestRequest}. */
final class TestProxyRequest implements ProxyRequest {
  private final String method;
  private final String scheme;
  private final String authority;
  private volatile String path;
  private final String protocol;
  private final Headers headers;
  private final TestRequestContext context;
  private final byte[] body;
  private final boolean bodyVisible;
  private final boolean replayable;

  TestProxyRequest(
      String method,
      String scheme,
      String authority,
      String path,
      String protocol,
      Headers headers,
      TestRequestContext context,
      byte[] body,
      boolean bodyVisible,
      boolean replayable) {
    this.method = method;
    this.scheme = scheme;
    this.authority = authority;
    this.path = path;
    this.protocol = protocol;
    this.headers = headers;
    this.context = context;
    this.body = body;
    this.bodyVisible = bodyVisible;
    this.replayable = replayable;
  }

  @Override
  public String method() {
    return method;
  }

  @Override
  public String scheme() {
    return scheme;
  }

  @Override
  public String authority() {
    return authority;
  }

  @Override
  public String path() {
    return path;
  }

  @Override
  public void setPath(String pathAndQuery) {
    this.path = TestRequest.checkPath(pathAndQuery);
  }

  @Override
  public String protocol() {
    return protocol;
  }

  @Override
  public Headers headers() {
    return headers;
  }

  @Override
  public TestRequestContext context() {
    return context;
  }

  @Override
  public Optional<byte[]> body() {
    return bodyVisible ? Optional.of(body) : Optional.empty();
  }

  @Override
  public boolean replayable() {
    return replayable;
  }

  /** The body as the client sent it, whether or not filters may see it. */
  byte[] bodyBytes() {
    return body;
  }

  @Override
  public String toString() {
    return "TestProxyRequest{" + method + " " + path + ", headers=" + headers + "}";
  }
}
