package io.plugmesh.filters.advanced;

import io.plugmesh.filters.FilterChain;
import io.plugmesh.filters.Headers;

/**
 * One upstream attempt of a request, as an {@link UpstreamAttemptListener} sees it right before the
 * attempt is sent: its number, the endpoint it goes to, the headers it will send, and a way to hear
 * how it ended. A retry filter that calls {@link FilterChain#proceed} twice makes two attempts.
 *
 * <pre>{@code
 * request.context().onUpstreamAttempt(attempt -> {
 *   attempt.headers().set("x-attempt", Integer.toString(attempt.number()));
 *   long start = services.nanoTime();
 *   attempt.onEnd((status, failure) -> attemptTimer.recordNanos(services.nanoTime() - start));
 * });
 * }</pre>
 *
 * <p>A view is valid only inside the listener call and its end listeners; do not keep it.
 *
 * <p>{@link Unstable}: the attempt view is new and may still change (e.g. what an end listener is
 * told).
 */
@Unstable
public interface UpstreamAttempt {

  /**
   * Which attempt of the request this is.
   *
   * @return 1 for the first attempt, 2 for the first retry, and so on
   */
  int number();

  /**
   * The endpoint the attempt goes to.
   *
   * @return {@code host:port}
   */
  String endpoint();

  /**
   * The headers this attempt sends. Changes made in the listener are sent with this attempt. They
   * are the request's own headers, so a change stays for later attempts too: {@link Headers#set
   * set} per-attempt values (a trace parent) rather than {@link Headers#add add} them.
   *
   * @return the mutable request headers
   */
  Headers headers();

  /**
   * Registers a listener told once when the attempt is over.
   *
   * @param listener called on the request's thread when the attempt ends
   */
  void onEnd(EndListener listener);

  /** Hears the end of one upstream attempt. */
  @Unstable
  @FunctionalInterface
  interface EndListener {
    /**
     * Called once when the attempt is over: its response was fully received, it failed, or it was
     * dropped (a retry replaced it, the route timed out, the client went away). Must not block and
     * should not throw; the proxy logs and ignores a throw.
     *
     * @param status the status of the response head the attempt received, or 0 if none arrived
     * @param failure null when the attempt ended normally (whatever its status); else why it did
     *     not: an {@link UpstreamException} for an upstream failure before or during the response,
     *     a {@link java.util.concurrent.CancellationException} when the proxy or a filter dropped
     *     the attempt before its response was complete
     */
    void ended(int status, Throwable failure);
  }
}
