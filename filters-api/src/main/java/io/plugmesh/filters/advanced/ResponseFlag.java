package io.plugmesh.filters.advanced;

/**
 * Why a response is what it is, in Envoy's access-log vocabulary, so operators can read one format
 * across meshes. Shown as {@code -} in the access log when no flag is set.
 */
public enum ResponseFlag {
  /** No healthy upstream host. */
  NO_HEALTHY_UPSTREAM("UH"),
  /** Upstream connection failure. */
  UPSTREAM_CONNECTION_FAILURE("UF"),
  /** Upstream overflow: a circuit breaker was open. */
  UPSTREAM_OVERFLOW("UO"),
  /** No route matched. */
  NO_ROUTE_FOUND("NR"),
  /** Upstream retry limit exceeded. */
  UPSTREAM_RETRY_LIMIT_EXCEEDED("URX"),
  /** Upstream request timeout. */
  UPSTREAM_REQUEST_TIMEOUT("UT"),
  /** The proxy answered locally (a plugin or the kernel). */
  LOCAL_RESPONSE("LR"),
  /** Upstream remote reset. */
  UPSTREAM_REMOTE_RESET("UR"),
  /** Upstream connection termination. */
  UPSTREAM_CONNECTION_TERMINATION("UC"),
  /** Downstream connection termination. */
  DOWNSTREAM_CONNECTION_TERMINATION("DC"),
  /** Rate limited. */
  RATE_LIMITED("RL"),
  /** Unauthorized by an authentication or authorization plugin. */
  UNAUTHORIZED("UAEX"),
  /** A delay was injected. */
  DELAY_INJECTED("DI"),
  /** A fault was injected. */
  FAULT_INJECTED("FI"),
  /** A retry was skipped because the request body exceeded the replay limit (plugmesh). */
  RETRY_SKIPPED_BODY_TOO_LARGE("RBL");

  private final String code;

  ResponseFlag(String code) {
    this.code = code;
  }

  /**
   * The short code written to access logs, e.g. {@code RL}.
   *
   * @return the code
   */
  public String code() {
    return code;
  }
}
