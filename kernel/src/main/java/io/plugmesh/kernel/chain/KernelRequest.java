package io.plugmesh.kernel.chain;

import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.plugmesh.filters.Headers;
import io.plugmesh.filters.ProxyRequest;
import io.plugmesh.filters.RequestContext;
import io.plugmesh.filters.advanced.UpstreamAttemptListener;
import io.plugmesh.filters.internal.PathNormalizer;
import io.plugmesh.kernel.body.RequestBody;
import io.plugmesh.kernel.http.NettyHeaders;
import io.plugmesh.kernel.upstream.OutboundRequest;
import java.util.List;
import java.util.Optional;

/**
 * The {@link ProxyRequest} filters see: a view over the downstream request head. It is also what
 * goes upstream when a filter proceeds with it; a filter may proceed with a request of its own
 * instead (see {@link #outbound}).
 */
public final class KernelRequest implements ProxyRequest, OutboundRequest {
  private final RequestBody body;
  private final HttpRequest head;
  private final NettyHeaders headers;
  private final String scheme;
  private final String authority;
  private final String protocol;
  private final KernelRequestContext context;
  private String path;

  /** {@link #normalizedPath()} of {@link #path}, computed on first use; null until then. */
  private Optional<String> normalizedPath;

  /**
   * Creates the request of one exchange.
   *
   * @param body the request body
   * @param head the downstream head; its headers are the request's
   * @param path the normalized path and query
   * @param scheme {@code http} or {@code https}
   * @param authority the authority, possibly empty
   * @param protocol {@code HTTP/1.1}, {@code HTTP/1.0} or {@code HTTP/2}
   * @param context the request context
   */
  public KernelRequest(
      RequestBody body,
      HttpRequest head,
      String path,
      String scheme,
      String authority,
      String protocol,
      KernelRequestContext context) {
    this.body = body;
    this.head = head;
    this.headers = new NettyHeaders(head.headers());
    this.path = path;
    this.scheme = scheme;
    this.authority = authority;
    this.protocol = protocol;
    this.context = context;
  }

  /**
   * What an attempt sends when a filter proceeds with {@code sent}: this request itself, or, for
   * any other {@link ProxyRequest} (a filter's wrapper, say), a copy of its method, path, authority
   * and headers for that attempt alone.
   *
   * @param sent the request a filter passed to {@code proceed}
   * @return what to send
   * @throws IllegalArgumentException when {@code sent} cannot go on the wire (no method, a bad
   *     path, an invalid header)
   */
  public OutboundRequest outbound(ProxyRequest sent) {
    return sent == this ? this : ForeignRequest.copy(sent, this);
  }

  @Override
  public String method() {
    return head.method().name();
  }

  @Override
  public HttpMethod httpMethod() {
    return head.method();
  }

  @Override
  public String scheme() {
    return scheme;
  }

  @Override
  public String authority() {
    return authority;
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
  public String path() {
    return path;
  }

  @Override
  public void setPath(String pathAndQuery) {
    this.path = checkPath(pathAndQuery);
    this.normalizedPath = null;
  }

  /** Returns a target fit for the request line, or throws naming what is wrong. */
  static String checkPath(String pathAndQuery) {
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
    return pathAndQuery;
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
  public HttpHeaders httpHeaders() {
    return head.headers();
  }

  @Override
  public RequestContext context() {
    return context;
  }

  /**
   * The context with the kernel's side: response flags and attempt listeners.
   *
   * @return the context
   */
  public KernelRequestContext kernelContext() {
    return context;
  }

  @Override
  public List<UpstreamAttemptListener> attemptListeners() {
    return context.attemptListeners();
  }

  @Override
  public Optional<byte[]> body() {
    return body.bufferedBytes();
  }

  @Override
  public boolean replayable() {
    return body.replayable();
  }

  @Override
  public String toString() {
    return method() + " " + authority + path + " " + protocol;
  }
}
