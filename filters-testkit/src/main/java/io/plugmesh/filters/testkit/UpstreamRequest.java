package io.plugmesh.filters.testkit;

import static java.util.Objects.requireNonNull;

import io.plugmesh.filters.Headers;
import io.plugmesh.filters.ProxyRequest;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;

/**
 * One attempt that reached the {@link FakeUpstream}: the request exactly as the chain passed it on
 * (a snapshot taken on arrival) and what became of it.
 *
 * <pre>{@code
 * UpstreamRequest seen = harness.upstream().lastRequest();
 * assertThat(seen.header("x-user")).isEqualTo("alice");
 * assertThat(seen.path()).isEqualTo("/v2/reviews");
 * }</pre>
 */
public final class UpstreamRequest {

  /** What became of an attempt. */
  public enum State {
    /** No outcome yet (delayed, or hanging). */
    PENDING,
    /** The upstream responded. */
    RESPONDED,
    /** The attempt failed with an {@link io.plugmesh.filters.advanced.UpstreamException}. */
    FAILED,
    /** The chain cancelled the attempt before it had an outcome. */
    CANCELLED
  }

  private final int attempt;
  private final String method;
  private final String scheme;
  private final String authority;
  private final String path;
  private final String protocol;
  private final Headers headers = Headers.create();
  private final byte[] body;
  private final String requestId;
  private volatile State state = State.PENDING;
  private volatile UpstreamResponse response;

  UpstreamRequest(int attempt, ProxyRequest request, byte[] body) {
    this.attempt = attempt;
    this.method = request.method();
    this.scheme = request.scheme();
    this.authority = request.authority();
    this.path = request.path();
    this.protocol = request.protocol();
    for (Map.Entry<String, String> e : request.headers()) {
      headers.add(e.getKey(), e.getValue());
    }
    this.body = requireNonNull(body, "body");
    this.requestId = request.context() == null ? "" : request.context().requestId();
  }

  /**
   * The attempt's number at this upstream, counting from 1 across all sends.
   *
   * @return the attempt number
   */
  public int attempt() {
    return attempt;
  }

  /**
   * The method.
   *
   * @return the method
   */
  public String method() {
    return method;
  }

  /**
   * The scheme.
   *
   * @return the scheme
   */
  public String scheme() {
    return scheme;
  }

  /**
   * The authority.
   *
   * @return the authority
   */
  public String authority() {
    return authority;
  }

  /**
   * The path and query, after any {@link ProxyRequest#setPath} by filters.
   *
   * @return the path
   */
  public String path() {
    return path;
  }

  /**
   * The protocol.
   *
   * @return the protocol
   */
  public String protocol() {
    return protocol;
  }

  /**
   * The headers as they arrived (a snapshot: later changes by filters do not show here).
   *
   * @return the headers
   */
  public Headers headers() {
    return headers;
  }

  /**
   * The first value of a header.
   *
   * @param name the name, any case
   * @return the value, or null when absent
   */
  public String header(String name) {
    return headers.get(name);
  }

  /**
   * The body the upstream received.
   *
   * @return a copy of the bytes
   */
  public byte[] body() {
    return body.clone();
  }

  /**
   * The body as UTF-8 text.
   *
   * @return the text
   */
  public String bodyText() {
    return new String(body, StandardCharsets.UTF_8);
  }

  /**
   * The request id of the send this attempt belongs to.
   *
   * @return the request id
   */
  public String requestId() {
    return requestId;
  }

  /**
   * What became of the attempt so far.
   *
   * @return the state
   */
  public State state() {
    return state;
  }

  /**
   * Whether the chain cancelled this attempt before it had an outcome (e.g. a timeout filter).
   *
   * @return true if cancelled
   */
  public boolean cancelled() {
    return state == State.CANCELLED;
  }

  /**
   * The response the upstream gave, when it responded.
   *
   * @return the response, or empty
   */
  public Optional<UpstreamResponse> response() {
    return Optional.ofNullable(response);
  }

  void responded(UpstreamResponse response) {
    this.response = response;
    this.state = State.RESPONDED;
  }

  void ended(State state) {
    this.state = state;
  }

  @Override
  public String toString() {
    return "UpstreamRequest{#"
        + attempt
        + " "
        + method
        + " "
        + path
        + ", headers="
        + headers
        + ", bodyBytes="
        + body.length
        + ", "
        + state
        + "}";
  }
}
