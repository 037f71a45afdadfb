package io.plugmesh.kernel.upstream;

import io.netty.handler.codec.http.HttpResponse;
import io.plugmesh.filters.Headers;
import io.plugmesh.filters.ProxyResponse;
import io.plugmesh.kernel.http.NettyHeaders;

/** A response head from an upstream attempt; its body waits in the attempt until sent. */
public final class UpstreamResponse implements ProxyResponse {
  private final HttpResponse head;
  private final NettyHeaders headers;
  private final Attempt attempt;

  UpstreamResponse(HttpResponse head, Attempt attempt) {
    this.head = head;
    this.headers = new NettyHeaders(head.headers());
    this.attempt = attempt;
  }

  /**
   * The response head as received (hop-by-hop headers are removed when it goes downstream).
   *
   * @return the head
   */
  public HttpResponse head() {
    return head;
  }

  /**
   * The attempt whose response this is; it holds the body.
   *
   * @return the attempt
   */
  public Attempt attempt() {
    return attempt;
  }

  @Override
  public int status() {
    return head.status().code();
  }

  @Override
  public Headers headers() {
    return headers;
  }

  @Override
  public boolean fromUpstream() {
    return true;
  }

  @Override
  public void discard() {
    attempt.discard();
  }

  @Override
  public String toString() {
    return "UpstreamResponse{status=" + status() + ", endpoint=" + attempt.endpointText() + "}";
  }
}
