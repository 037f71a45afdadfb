package io.plugmesh.plugins.ratelimit;

/** The shared bucket store (Redis) could not be asked. */
final class BackendUnavailableException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what was wrong
   */
  BackendUnavailableException(String message) {
    super(message, null, false, false);
  }
}
