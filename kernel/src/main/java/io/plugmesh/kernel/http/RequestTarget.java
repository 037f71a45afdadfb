package io.plugmesh.kernel.http;

import io.plugmesh.filters.internal.PathNormalizer;
import io.plugmesh.filters.internal.RejectedPathException;

/**
 * A request target split for routing: the normalized path and the query as received. An
 * absolute-form target ({@code http://host/path}) keeps only its path.
 *
 * @param path the normalized path, starting with {@code /}
 * @param query the query with its {@code ?}, or empty
 */
public record RequestTarget(String path, String query) {

  /**
   * Splits and normalizes a target that passed {@link RequestHeadCheck}.
   *
   * @param uri the origin-form or absolute-form target
   * @return the target
   * @throws RejectedPathException when the path must not be routed (answer 400)
   */
  public static RequestTarget parse(String uri) {
    String rawPath = uri;
    String query = "";
    if (!uri.startsWith("/")) {
      int scheme = uri.indexOf("://");
      int slash = scheme < 0 ? -1 : uri.indexOf('/', scheme + 3);
      rawPath = slash < 0 ? "/" : uri.substring(slash);
    }
    int q = rawPath.indexOf('?');
    if (q >= 0) {
      query = rawPath.substring(q);
      rawPath = rawPath.substring(0, q);
    }
    return new RequestTarget(PathNormalizer.normalize(rawPath), query);
  }

  /**
   * The target sent upstream.
   *
   * @return path and query
   */
  public String pathAndQuery() {
    return path + query;
  }
}
