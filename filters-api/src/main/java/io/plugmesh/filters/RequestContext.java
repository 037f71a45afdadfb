package io.plugmesh.filters;

import java.util.Optional;

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
}
