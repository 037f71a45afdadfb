package io.plugmesh.filters;

/**
 * Where a filter belongs in a chain. Used to validate the order an admin wrote, never to re-sort
 * it: among the ordered phases a chain must read {@code AUTHN, AUTHZ, RATE_LIMIT, FAULT, RETRY};
 * {@link #OBSERVE} and {@link #CUSTOM} may stand anywhere.
 */
public enum Phase {
  /** Establishes who is calling (sets {@link ContextKeys#PRINCIPAL}). */
  AUTHN(1),
  /** Decides whether the caller may proceed; after authentication. */
  AUTHZ(2),
  /** Limits rates and quotas; after authorization, so quotas can key on the principal. */
  RATE_LIMIT(3),
  /** Injects delays and aborts. */
  FAULT(4),
  /** Sends attempts again; last before the upstream so every attempt sees one upstream call. */
  RETRY(5),
  /** Observes (tracing, logging); allowed anywhere. */
  OBSERVE(0),
  /** No ordering constraint. */
  CUSTOM(0);

  private final int rank;

  Phase(int rank) {
    this.rank = rank;
  }

  /**
   * Whether this phase takes part in ordering checks.
   *
   * @return false for {@link #OBSERVE} and {@link #CUSTOM}
   */
  public boolean ordered() {
    return rank > 0;
  }

  /**
   * Whether a filter of this phase may run before one of {@code later}.
   *
   * @param later the phase of a filter that comes after
   * @return false when the pair is out of order (e.g. AUTHZ before AUTHN)
   */
  public boolean mayPrecede(Phase later) {
    return !ordered() || !later.ordered() || rank <= later.rank;
  }
}
