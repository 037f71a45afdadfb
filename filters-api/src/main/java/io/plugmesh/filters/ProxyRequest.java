package io.plugmesh.filters;

import java.util.Optional;

/**
 * A request as a filter sees it: method, target, mutable headers and the request context. The body
 * streams past filters untouched unless the factory asked for it with {@link BodyAccess}.
 */
public interface ProxyRequest {

  /**
   * The request method, e.g. {@code GET}.
   *
   * @return the method in upper case
   */
  String method();

  /**
   * The scheme the client used: {@code http} or {@code https}.
   *
   * @return the scheme
   */
  String scheme();

  /**
   * The authority (HTTP/2 {@code :authority}, or the HTTP/1.1 {@code Host} header).
   *
   * @return the authority, possibly with a port; empty when the client sent none
   */
  String authority();

  /**
   * The request target as received: path and query, e.g. {@code /reviews/1?x=2}.
   *
   * @return the path with query
   */
  String path();

  /**
   * Replaces the path (and query) sent upstream; routing has already happened.
   *
   * @param pathAndQuery the new target, starting with {@code /}
   */
  void setPath(String pathAndQuery);

  /**
   * The protocol the client spoke: {@code HTTP/1.1} or {@code HTTP/2}.
   *
   * @return the protocol name
   */
  String protocol();

  /**
   * The request headers; changes are sent upstream.
   *
   * @return the mutable headers
   */
  Headers headers();

  /**
   * Request-scoped state shared by all filters of this request.
   *
   * @return the context
   */
  RequestContext context();

  /**
   * The whole request body, present only when some filter on the route declared {@link
   * BodyAccess#buffered(int)} and the body fit in its limit.
   *
   * @return the body bytes (do not modify), or empty
   */
  Optional<byte[]> body();

  /**
   * Whether this request can be sent again by {@link FilterChain#proceed} (its body, if any, is
   * kept for replay). False when the body exceeded the route's replay limit.
   *
   * @return true if another attempt would send the same bytes
   */
  boolean replayable();
}
