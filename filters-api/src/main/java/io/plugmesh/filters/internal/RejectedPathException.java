package io.plugmesh.filters.internal;

/**
 * A request path that has no normal form (the proxy answers 400): an encoded slash, backslash or
 * NUL, a malformed percent escape, a control character, a backslash, a fragment, or no leading
 * slash. Carries no stack trace; it is a verdict on input, not a program error. Not part of the
 * API.
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
