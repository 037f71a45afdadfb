package io.plugmesh.meshca;

/**
 * A certificate request the CA will not sign: malformed, badly signed, or asking for more than the
 * identity it is entitled to. The message says what was wrong and what was expected.
 */
public final class CsrRejectedException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what was wrong and what was expected
   */
  public CsrRejectedException(String message) {
    super(message);
  }
}
