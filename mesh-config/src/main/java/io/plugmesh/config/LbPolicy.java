package io.plugmesh.config;

/** How a cluster chooses an endpoint; the YAML names are lower snake case. */
public enum LbPolicy {
  /** Each endpoint in turn. */
  ROUND_ROBIN,
  /** Uniformly at random. */
  RANDOM,
  /** At random, in proportion to endpoint weights. */
  WEIGHTED_RANDOM,
  /** The fewer active requests of two random choices (power of two choices). */
  LEAST_REQUEST;

  /**
   * The name used in YAML, e.g. {@code round_robin}.
   *
   * @return the config name
   */
  public String configName() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
