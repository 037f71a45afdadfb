package io.plugmesh.filters;

import io.plugmesh.filters.advanced.BodyAccess;
import io.plugmesh.filters.internal.PathNormalizer;
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
   * The request target: path and query, e.g. {@code /reviews/1?x=2}. The proxy hands filters the
   * path it routed on, already {@linkplain #normalizedPath() normalized}, with the query as
   * received; after {@link #setPath} it is whatever was set. Match paths against {@link
   * #normalizedPath()}, not against this.
   *
   * @return the path with query
   */
  String path();

  /**
   * The path of {@link #path()} in the one form the proxy routes on, without the query: what a
   * security rule must be matched against, so that {@code //admin}, {@code /public/../admin} or
   * {@code /%61dmin} cannot slip past a rule for {@code /admin}. Rules are those of {@link
   * #normalizePath(String)}.
   *
   * <p>The proxy refuses (400) a request whose path has no normal form before any filter runs, so
   * this is empty only after a filter {@linkplain #setPath set} such a path, or in tests. A
   * security filter refuses a request for which it is empty.
   *
   * @return the normalized path, starting with {@code /}; empty if the path has no normal form
   */
  default Optional<String> normalizedPath() {
    return normalizePath(path());
  }

  /**
   * Normalizes a request target the way the proxy does before routing (as Envoy with {@code
   * normalize_path} and {@code merge_slashes}), e.g. to check that paths in a plugin's config are
   * already normal:
   *
   * <ol>
   *   <li>the query ({@code ?} and what follows) is cut; an empty path becomes {@code /};
   *   <li>percent escapes of unreserved characters ({@code A-Z a-z 0-9 - . _ ~}) are decoded
   *       ({@code /%61dmin} is {@code /admin}); other escapes stay, with upper-case hex digits
   *       ({@code %3f} becomes {@code %3F});
   *   <li>runs of slashes are merged into one ({@code //a///b} is {@code /a/b});
   *   <li>dot segments are removed as in RFC 3986 section 5.2.4: {@code .} goes, {@code ..} removes
   *       the segment before it and never climbs above the root ({@code /a/./b/../c} is {@code
   *       /a/c}, {@code /../x} is {@code /x}); a trailing {@code .} or {@code ..} leaves a trailing
   *       slash ({@code /a/b/..} is {@code /a/}). Escaped dots count too: {@code /%2e%2e/admin} is
   *       {@code /admin}.
   * </ol>
   *
   * <p>Case is kept: {@code /Admin} and {@code /admin} are different paths. A path has no normal
   * form, and the result is empty, when it does not start with {@code /}; holds a control
   * character, a space, a non-ASCII character, a backslash or a {@code #}; holds an encoded slash,
   * backslash or NUL ({@code %2F}, {@code %5C}, {@code %00}, in either case); or holds a malformed
   * or incomplete escape ({@code %zz}, {@code %2}). Normalizing a normal path changes nothing.
   *
   * @param pathAndQuery a request target starting with {@code /}, e.g. {@code /a/../b?x=1}
   * @return the normalized path without the query, e.g. {@code /b}; empty if it has no normal form
   */
  static Optional<String> normalizePath(String pathAndQuery) {
    return PathNormalizer.normalizeTarget(pathAndQuery);
  }

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
