package io.plugmesh.kernel.upstream;

import io.plugmesh.filters.Headers;
import io.plugmesh.filters.advanced.UpstreamAttempt;
import io.plugmesh.filters.advanced.UpstreamAttemptListener;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What {@link io.plugmesh.filters.advanced.UpstreamAttemptListener}s see of one {@link Attempt}.
 */
final class AttemptView implements UpstreamAttempt {
  private static final Logger log = LoggerFactory.getLogger(AttemptView.class);

  /** End listeners per attempt: one per attempt listener is the norm; a bound stops a runaway. */
  static final int MAX_END_LISTENERS = OutboundRequest.MAX_ATTEMPT_LISTENERS * 2;

  private final int number;
  private final String endpoint;
  private final Headers headers;
  private final List<EndListener> endListeners = new ArrayList<>(2);
  private boolean ended;

  AttemptView(int number, String endpoint, Headers headers) {
    this.number = number;
    this.endpoint = endpoint;
    this.headers = headers;
  }

  @Override
  public int number() {
    return number;
  }

  @Override
  public String endpoint() {
    return endpoint;
  }

  @Override
  public Headers headers() {
    return headers;
  }

  @Override
  public void onEnd(EndListener listener) {
    Objects.requireNonNull(listener, "listener");
    if (ended) {
      throw new IllegalStateException("onEnd: the attempt already ended");
    }
    if (endListeners.size() >= MAX_END_LISTENERS) {
      throw new IllegalStateException(
          "onEnd: " + MAX_END_LISTENERS + " end listeners (expected: fewer)");
    }
    endListeners.add(listener);
  }

  /**
   * Tells the request's attempt listeners about an attempt about to start; the attempt reports its
   * end to the returned view. Returns null (and allocates nothing) when nobody listens.
   */
  static AttemptView announce(OutboundRequest request, int number, String endpoint) {
    List<UpstreamAttemptListener> listeners = request.attemptListeners();
    if (listeners == null) {
      return null;
    }
    AttemptView view = new AttemptView(number, endpoint, request.headers());
    for (UpstreamAttemptListener listener : listeners) {
      try {
        listener.onAttempt(view);
      } catch (RuntimeException e) {
        log.warn("an upstream attempt listener failed: {}", e.toString());
      }
    }
    return view;
  }

  /** Tells the end listeners, once. */
  void ended(int status, Throwable failure) {
    if (ended) {
      return;
    }
    ended = true;
    for (EndListener listener : endListeners) {
      try {
        listener.ended(status, failure);
      } catch (RuntimeException e) {
        log.warn("an upstream attempt end listener failed: {}", e.toString());
      }
    }
    endListeners.clear();
  }
}
