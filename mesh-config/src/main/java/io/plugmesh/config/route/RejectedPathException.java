package io.plugmesh.config.route;

/**
 * A request path the proxy refuses to route (answer 400): an encoded slash, backslash or NUL, a
 * malformed percent escape, a control character, or no leading slash. Carries no stack trace; it is
 * a verdict on input, not a program error.
 */
public final class RejectedPathException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the verdict.
   *
   * @param reason what was wrong, e.g. {@code encoded '/' (%2F) at index 4}
   */
  public RejectedPathException(String reason) {
    super(reason, null, false, false);
  }
}
