package io.plugmesh.kernel.upstream;

import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.plugmesh.filters.Headers;
import io.plugmesh.filters.advanced.UpstreamAttemptListener;
import java.util.List;

/**
 * The request head an upstream attempt sends, and who hears about the attempt: the kernel's own
 * request, or a copy of the one a filter passed to {@code proceed}.
 */
public interface OutboundRequest {
  /** Upstream attempt listeners per request (a tracing and a metrics plugin need one each). */
  int MAX_ATTEMPT_LISTENERS = 8;

  /**
   * The method.
   *
   * @return the method
   */
  HttpMethod httpMethod();

  /**
   * The target sent upstream.
   *
   * @return path and query
   */
  String path();

  /**
   * The authority, sent as {@code Host} when the headers carry none.
   *
   * @return the authority, possibly empty
   */
  String authority();

  /**
   * The headers sent. An attempt on the upstream channel's own event loop writes them in place and
   * undoes the few changes it made for its hop right after.
   *
   * @return the headers
   */
  HttpHeaders httpHeaders();

  /**
   * The same headers as attempt listeners see them; what they set is sent.
   *
   * @return the headers
   */
  Headers headers();

  /**
   * The request's upstream attempt listeners.
   *
   * @return the listeners, or null when there are none
   */
  List<UpstreamAttemptListener> attemptListeners();
}
