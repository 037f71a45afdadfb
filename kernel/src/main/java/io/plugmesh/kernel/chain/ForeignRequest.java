package io.plugmesh.kernel.chain;

import static java.util.Objects.requireNonNull;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.plugmesh.filters.Headers;
import io.plugmesh.filters.ProxyRequest;
import io.plugmesh.filters.advanced.UpstreamAttemptListener;
import io.plugmesh.kernel.http.NettyHeaders;
import io.plugmesh.kernel.upstream.OutboundRequest;
import java.util.List;
import java.util.Map;

/**
 * What one attempt sends when a filter proceeded with a {@link ProxyRequest} of its own (a wrapper
 * that rewrites the path, say) rather than the kernel's: its method, path, authority and headers,
 * copied. The copy serves that attempt alone, so the kernel's request stays as the filters before
 * the wrapper saw it, and a retry through the same wrapper is wrapped once more, not twice. A new
 * authority replaces {@code Host}. The body is the client's; scheme, protocol and context are the
 * request's own; the attempt listeners are those registered on the kernel's context.
 */
final class ForeignRequest implements OutboundRequest {
  private final HttpMethod method;
  private final String path;
  private final String authority;
  private final HttpHeaders httpHeaders;
  private final NettyHeaders headers;
  private final List<UpstreamAttemptListener> attemptListeners;

  private ForeignRequest(
      HttpMethod method,
      String path,
      String authority,
      HttpHeaders httpHeaders,
      List<UpstreamAttemptListener> attemptListeners) {
    this.method = method;
    this.path = path;
    this.authority = authority;
    this.httpHeaders = httpHeaders;
    this.headers = new NettyHeaders(httpHeaders);
    this.attemptListeners = attemptListeners;
  }

  /**
   * Copies what goes on the wire from {@code sent}.
   *
   * @param sent the filter's request
   * @param own the kernel's request of the same exchange
   * @return the copy
   * @throws IllegalArgumentException when {@code sent} cannot go on the wire
   * @throws NullPointerException when {@code sent} has no method, authority or headers
   */
  static ForeignRequest copy(ProxyRequest sent, KernelRequest own) {
    HttpMethod method = HttpMethod.valueOf(requireNonNull(sent.method(), "method"));
    String path = KernelRequest.checkPath(sent.path());
    String authority = requireNonNull(sent.authority(), "authority");
    HttpHeaders copied = new DefaultHttpHeaders();
    for (Map.Entry<String, String> h : requireNonNull(sent.headers(), "headers")) {
      copied.add(h.getKey(), h.getValue());
    }
    if (!authority.equals(own.authority()) && copied.contains(HttpHeaderNames.HOST)) {
      copied.set(HttpHeaderNames.HOST, authority);
    }
    return new ForeignRequest(method, path, authority, copied, own.attemptListeners());
  }

  @Override
  public HttpMethod httpMethod() {
    return method;
  }

  @Override
  public String path() {
    return path;
  }

  @Override
  public String authority() {
    return authority;
  }

  @Override
  public HttpHeaders httpHeaders() {
    return httpHeaders;
  }

  @Override
  public Headers headers() {
    return headers;
  }

  @Override
  public List<UpstreamAttemptListener> attemptListeners() {
    return attemptListeners;
  }
}
