package io.plugmesh.filters;

import io.plugmesh.filters.advanced.ResponseFlag;
import io.plugmesh.filters.advanced.Unstable;
import io.plugmesh.filters.advanced.UpstreamAttempt;
import io.plugmesh.filters.advanced.UpstreamAttemptListener;
import io.plugmesh.filters.advanced.UpstreamException;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * State of one request shared by every filter on its route: typed attributes and the response flags
 * that end up in the access log. Well-known keys are in {@link ContextKeys}.
 *
 * <p>A context is confined to its request; filters may touch it from the thread a stage completes
 * on, but not concurrently.
 */
public interface RequestContext {

  /**
   * Reads an attribute.
   *
   * @param key the key
   * @param <T> the value type
   * @return the value, or empty
   */
  <T> Optional<T> get(ContextKey<T> key);

  /**
   * Sets an attribute, replacing any previous value.
   *
   * @param key the key
   * @param value the value, not null
   * @param <T> the value type
   */
  <T> void put(ContextKey<T> key, T value);

  /**
   * The request id: the client's {@code x-request-id}, or one the proxy generated.
   *
   * @return the request id
   */
  String requestId();

  /**
   * The name of the route the request matched.
   *
   * @return the route name
   */
  String routeName();

  /**
   * Marks the request with an access-log response flag, e.g. {@link ResponseFlag#RATE_LIMITED}.
   *
   * @param flag the flag
   */
  void addResponseFlag(ResponseFlag flag);

  /**
   * The response flags filters set on this request so far (the proxy adds its own, such as {@code
   * UF} or {@code UT}, when the request ends).
   *
   * @return a copy of the flags; the default is empty
   */
  default Set<ResponseFlag> responseFlags() {
    return Set.of();
  }

  /**
   * Registers a listener told about each upstream attempt of this request, right before it is sent
   * (see {@link UpstreamAttempt}). Attempts sent before the call are not replayed. An attempt the
   * proxy refuses before picking an endpoint (no healthy endpoint, an open circuit breaker) is not
   * sent and not heard; the chain sees its {@link UpstreamException}.
   *
   * <p>The proxy and the testkit call listeners; the default ignores them, for contexts that never
   * send attempts. A request holds a bounded number of listeners (at least 8); more fail with
   * {@link IllegalStateException}.
   *
   * @param listener the listener
   */
  @Unstable
  default void onUpstreamAttempt(UpstreamAttemptListener listener) {
    Objects.requireNonNull(listener, "listener");
  }
}
