package io.plugmesh.filters.advanced;

import io.plugmesh.filters.ProxyRequest;

/**
 * Whether a filter needs the request body in memory before it runs. The default is {@link #none()}:
 * the body streams past the filter with backpressure.
 */
public sealed interface BodyAccess permits BodyAccess.None, BodyAccess.Buffered {

  /**
   * The body streams; the filter sees headers only.
   *
   * @return the shared none value
   */
  static BodyAccess none() {
    return None.INSTANCE;
  }

  /**
   * The proxy reads the whole body (up to {@code maxBytes}, else answers 413) before the filter
   * runs, and {@link ProxyRequest#body()} returns it.
   *
   * @param maxBytes the largest body accepted, &gt; 0
   * @return a buffered body access
   */
  static BodyAccess buffered(int maxBytes) {
    return new Buffered(maxBytes);
  }

  /** The body streams. */
  final class None implements BodyAccess {
    private static final None INSTANCE = new None();

    private None() {}

    @Override
    public String toString() {
      return "NONE";
    }
  }

  /**
   * The body is buffered.
   *
   * @param maxBytes the largest body accepted
   */
  record Buffered(int maxBytes) implements BodyAccess {
    /**
     * Creates a buffered access.
     *
     * @param maxBytes the largest body accepted, &gt; 0
     */
    public Buffered {
      if (maxBytes <= 0) {
        throw new IllegalArgumentException("maxBytes: " + maxBytes + " (expected: > 0)");
      }
    }
  }
}
