package io.plugmesh.kernel.proxy;

import io.netty.handler.codec.http.HttpRequest;
import io.plugmesh.filters.Headers;
import io.plugmesh.filters.ProxyRequest;
import io.plugmesh.filters.RequestContext;
import io.plugmesh.filters.internal.PathNormalizer;
import java.util.Optional;

/** The {@link ProxyRequest} filters see: a view over the downstream request head. */
final class KernelRequest implements ProxyRequest {
  private final Exchange exchange;
  private final HttpRequest head;
  private final NettyHeaders headers;
  private final String scheme;
  private final String authority;
  private final String protocol;
  private final KernelRequestContext context;
  private String path;

  /** {@link #normalizedPath()} of {@link #path}, computed on first use; null until then. */
  private Optional<String> normalizedPath;

  KernelRequest(
      Exchange exchange,
      HttpRequest head,
      String path,
      String scheme,
      String authority,
      String protocol,
      KernelRequestContext context) {
    this.exchange = exchange;
    this.head = head;
    this.headers = new NettyHeaders(head.headers());
    this.path = path;
    this.scheme = scheme;
    this.authority = authority;
    this.protocol = protocol;
    this.context = context;
  }

  HttpRequest head() {
    return head;
  }

  @Override
  public String method() {
    return head.method().name();
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
    if (pathAndQuery == null || !pathAndQuery.startsWith("/")) {
      throw new IllegalArgumentException(
          "path: " + pathAndQuery + " (expected: a path starting with /)");
    }
    for (int i = 0; i < pathAndQuery.length(); i++) {
      char c = pathAndQuery.charAt(i);
      if (c <= ' ' || c >= 0x7f) {
        throw new IllegalArgumentException(
            "path: contains a control, space or non-ASCII character (expected: percent-encoded)");
      }
    }
    this.path = pathAndQuery;
    this.normalizedPath = null;
  }

  /**
   * The routed path (already normal unless a filter set another), computed once per path: filters
   * such as rbac ask on every request.
   */
  @Override
  public Optional<String> normalizedPath() {
    Optional<String> normalized = normalizedPath;
    if (normalized == null) {
      normalized = PathNormalizer.normalizeTarget(path);
      normalizedPath = normalized;
    }
    return normalized;
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
  public RequestContext context() {
    return context;
  }

  KernelRequestContext kernelContext() {
    return context;
  }

  @Override
  public Optional<byte[]> body() {
    return exchange.bufferedBodyBytes();
  }

  @Override
  public boolean replayable() {
    return exchange.replayable();
  }

  @Override
  public String toString() {
    return method() + " " + authority + path + " " + protocol;
  }
}
