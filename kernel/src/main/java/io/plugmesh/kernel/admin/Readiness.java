package io.plugmesh.kernel.admin;

import static java.util.Objects.requireNonNull;

/**
 * Whether the proxy serves traffic, as {@code GET /ready} reports it.
 *
 * @param ready true when listeners are bound and a config is applied; {@code /ready} answers 200
 * @param stale true when the config served is a persisted one the control service has not confirmed
 *     since start (still ready)
 * @param detail a short human-readable explanation, e.g. {@code "waiting for first config"}
 */
public record Readiness(boolean ready, boolean stale, String detail) {
  public Readiness {
    requireNonNull(detail, "detail");
  }
}
