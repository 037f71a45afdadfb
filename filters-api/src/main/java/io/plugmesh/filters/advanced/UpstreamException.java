package io.plugmesh.filters.advanced;

import static java.util.Objects.requireNonNull;

/**
 * An upstream attempt failed before a response head arrived. Retry filters inspect {@link #kind()};
 * the proxy turns an unhandled one into a 503 or 504 with the matching {@link ResponseFlag}.
 */
public final class UpstreamException extends RuntimeException {
  /** Serialization version. */
  private static final long serialVersionUID = 1L;

  /** What went wrong. */
  public enum Kind {
    /** No connection could be made (refused, unreachable, connect timeout). */
    CONNECT_FAILURE(503, ResponseFlag.UPSTREAM_CONNECTION_FAILURE),
    /** The connection or stream was reset before the response head. */
    RESET(503, ResponseFlag.UPSTREAM_REMOTE_RESET),
    /** The HTTP/2 upstream refused the stream; safe to retry anywhere. */
    REFUSED_STREAM(503, ResponseFlag.UPSTREAM_REMOTE_RESET),
    /** The attempt or route timeout elapsed. */
    TIMEOUT(504, ResponseFlag.UPSTREAM_REQUEST_TIMEOUT),
    /** A circuit breaker refused the attempt. */
    OVERFLOW(503, ResponseFlag.UPSTREAM_OVERFLOW),
    /** The cluster has no healthy endpoint. */
    NO_HEALTHY_UPSTREAM(503, ResponseFlag.NO_HEALTHY_UPSTREAM);

    private final int status;
    private final ResponseFlag flag;

    Kind(int status, ResponseFlag flag) {
      this.status = status;
      this.flag = flag;
    }

    /**
     * The status the proxy answers with when nothing handles this failure.
     *
     * @return 503 or 504
     */
    public int status() {
      return status;
    }

    /**
     * The access-log flag for this failure.
     *
     * @return the flag
     */
    public ResponseFlag flag() {
      return flag;
    }
  }

  /** What went wrong. */
  private final Kind kind;

  /**
   * Creates an upstream failure.
   *
   * @param kind what went wrong
   * @param message details, e.g. the endpoint
   */
  public UpstreamException(Kind kind, String message) {
    super(requireNonNull(message, "message"), null, false, false);
    this.kind = requireNonNull(kind, "kind");
  }

  /**
   * What went wrong.
   *
   * @return the kind
   */
  public Kind kind() {
    return kind;
  }
}
