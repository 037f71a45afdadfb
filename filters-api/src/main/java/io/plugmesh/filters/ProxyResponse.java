package io.plugmesh.filters;

import io.plugmesh.filters.advanced.LocalResponse;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * A response: from the upstream (its body streams to the client after the chain completes) or made
 * by a filter with {@link #of(int, String)} / {@link #builder(int)}.
 */
public interface ProxyResponse {

  /**
   * A plain-text response made by a filter.
   *
   * @param status the HTTP status, 100..599
   * @param body the body, sent as {@code text/plain; charset=utf-8}
   * @return a new local response
   */
  static ProxyResponse of(int status, String body) {
    return builder(status).header("content-type", "text/plain; charset=utf-8").body(body).build();
  }

  /**
   * A builder for a response made by a filter.
   *
   * @param status the HTTP status, 100..599
   * @return a new builder
   */
  static LocalResponse.Builder builder(int status) {
    return LocalResponse.builder(status);
  }

  /**
   * The HTTP status code.
   *
   * @return the status
   */
  int status();

  /**
   * The response headers; mutable until the response leaves the chain.
   *
   * @return the headers
   */
  Headers headers();

  /**
   * True when the response came from the upstream, false when a filter or the proxy made it.
   *
   * @return whether this response came from the upstream
   */
  boolean fromUpstream();

  /**
   * The body of a response made locally.
   *
   * @return the body of a local response; empty for upstream responses (their body streams)
   */
  default Optional<byte[]> localBody() {
    return Optional.empty();
  }

  /**
   * Drops this response without sending it, e.g. before a retry. For an upstream response this
   * releases its body and connection. Idempotent.
   */
  default void discard() {}

  /**
   * The body of a local response as UTF-8 text, for tests and logs.
   *
   * @return the text, empty if there is no local body
   */
  default String localBodyText() {
    return localBody().map(b -> new String(b, StandardCharsets.UTF_8)).orElse("");
  }
}
