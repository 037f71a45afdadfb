package io.plugmesh.filters.testkit;

import io.plugmesh.filters.Headers;
import io.plugmesh.filters.ProxyResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A response from the {@link FakeUpstream}. Like a real upstream response its body is not a {@link
 * #localBody() local body} (it would stream to the client), but a test can read it with {@link
 * #bodyText()}; {@link #discard()} is recorded so tests can check a retry released what it dropped.
 */
public final class UpstreamResponse implements ProxyResponse {
  private final int status;
  private final Headers headers = Headers.create();
  private final byte[] body;
  private final UpstreamRequest attempt;
  private final AtomicBoolean discarded = new AtomicBoolean();

  UpstreamResponse(
      int status, List<Map.Entry<String, String>> headers, byte[] body, UpstreamRequest attempt) {
    this.status = status;
    headers.forEach(e -> this.headers.add(e.getKey(), e.getValue()));
    this.body = body;
    this.attempt = attempt;
  }

  @Override
  public int status() {
    return status;
  }

  @Override
  public Headers headers() {
    return headers;
  }

  /**
   * Always true.
   *
   * @return true
   */
  @Override
  public boolean fromUpstream() {
    return true;
  }

  /**
   * Records that the response was dropped; idempotent.
   *
   * <p>The proxy releases the body and connection here; the testkit only remembers it.
   */
  @Override
  public void discard() {
    discarded.set(true);
  }

  /**
   * Whether {@link #discard()} was called.
   *
   * @return true once discarded
   */
  public boolean discarded() {
    return discarded.get();
  }

  /**
   * The body the fake upstream sent.
   *
   * @return a copy of the body bytes
   */
  public byte[] body() {
    return body.clone();
  }

  /**
   * The body the fake upstream sent, as UTF-8 text.
   *
   * @return the text
   */
  public String bodyText() {
    return new String(body, StandardCharsets.UTF_8);
  }

  /**
   * The attempt this response answered.
   *
   * @return the recorded upstream request
   */
  public UpstreamRequest attempt() {
    return attempt;
  }

  @Override
  public String toString() {
    return "UpstreamResponse{status="
        + status
        + ", bodyBytes="
        + body.length
        + ", attempt="
        + attempt.attempt()
        + (discarded() ? ", discarded" : "")
        + "}";
  }
}
