package io.plugmesh.filters.advanced;

import static java.util.Objects.requireNonNull;

import io.plugmesh.filters.Headers;
import io.plugmesh.filters.ProxyResponse;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/** A response made by a filter or the proxy itself, with a small in-memory body. */
public final class LocalResponse implements ProxyResponse {

  /** The largest body a local response may carry. */
  public static final int MAX_BODY_BYTES = 64 * 1024;

  private final int status;
  private final Headers headers;
  private final byte[] body;

  private LocalResponse(int status, Headers headers, byte[] body) {
    this.status = status;
    this.headers = headers;
    this.body = body;
  }

  /**
   * A builder.
   *
   * @param status the HTTP status, 100..599
   * @return a new builder
   */
  public static Builder builder(int status) {
    if (status < 100 || status > 599) {
      throw new IllegalArgumentException("status: " + status + " (expected: 100..599)");
    }
    return new Builder(status);
  }

  @Override
  public int status() {
    return status;
  }

  @Override
  public Headers headers() {
    return headers;
  }

  @Override
  public boolean fromUpstream() {
    return false;
  }

  @Override
  public Optional<byte[]> localBody() {
    return Optional.of(body);
  }

  @Override
  public String toString() {
    return "LocalResponse{status=" + status + ", bodyBytes=" + body.length + "}";
  }

  /** Builds a {@link LocalResponse}. */
  public static final class Builder {
    private final int status;
    private final Headers headers = Headers.create();
    private byte[] body = new byte[0];

    private Builder(int status) {
      this.status = status;
    }

    /**
     * Adds a header.
     *
     * @param name the name
     * @param value the value
     * @return this builder
     */
    public Builder header(String name, String value) {
      headers.add(requireNonNull(name, "name"), requireNonNull(value, "value"));
      return this;
    }

    /**
     * Sets the body as UTF-8 text.
     *
     * @param text the body
     * @return this builder
     */
    public Builder body(String text) {
      return body(requireNonNull(text, "text").getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Sets the body bytes (copied).
     *
     * @param bytes the body, at most {@link #MAX_BODY_BYTES}
     * @return this builder
     */
    public Builder body(byte[] bytes) {
      requireNonNull(bytes, "bytes");
      if (bytes.length > MAX_BODY_BYTES) {
        throw new IllegalArgumentException(
            "body: " + bytes.length + " bytes (expected: <= " + MAX_BODY_BYTES + ")");
      }
      this.body = bytes.clone();
      return this;
    }

    /**
     * Builds the response.
     *
     * @return the response
     */
    public LocalResponse build() {
      return new LocalResponse(status, headers, body);
    }
  }
}
