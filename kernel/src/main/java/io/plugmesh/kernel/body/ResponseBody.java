package io.plugmesh.kernel.body;

import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;

/**
 * One upstream attempt's response body until the downstream takes it: chunks that arrive while the
 * response head is with the chain wait here in order, then go downstream one by one. Owns them
 * until the downstream writer takes them, and releases what is dropped. Confined to the exchange's
 * event loop.
 */
public final class ResponseBody {

  /** Where the chunks go: the exchange's response writer. */
  public interface Downstream {
    /**
     * Writes one chunk downstream.
     *
     * @param chunk the chunk
     * @param last whether it ends the body
     * @return true when the chunk was taken; false, taking nothing, when the exchange no longer
     *     answers with this response
     */
    boolean write(HttpContent chunk, boolean last);
  }

  private final ArrayDeque<HttpContent> pending = new ArrayDeque<>(4);
  private final Downstream downstream;
  private boolean broken;

  /**
   * Creates the body of one attempt.
   *
   * @param downstream where its chunks go
   */
  public ResponseBody(Downstream downstream) {
    this.downstream = downstream;
  }

  /**
   * The head of a response; a full response (head and body in one message) leaves its body here.
   *
   * @param response the decoded response
   * @return the head alone
   */
  public HttpResponse head(HttpResponse response) {
    if (response instanceof FullHttpResponse full) {
      pending.add(new DefaultLastHttpContent(full.content(), full.trailingHeaders()));
      return new DefaultHttpResponse(full.protocolVersion(), full.status(), full.headers());
    }
    return response;
  }

  /**
   * Keeps a chunk until the body streams.
   *
   * @param chunk the chunk; ownership moves here
   */
  public void hold(HttpContent chunk) {
    pending.add(chunk);
  }

  /**
   * Sends a chunk downstream, releasing it when the downstream does not take it.
   *
   * @param chunk the chunk; ownership moves on
   * @param last whether it ends the body
   */
  public void send(HttpContent chunk, boolean last) {
    if (!downstream.write(chunk, last)) {
      chunk.release();
    }
  }

  /**
   * Takes the next held chunk.
   *
   * @return the chunk, now the caller's to {@link #send}, or null when none is held
   */
  public HttpContent next() {
    return pending.pollFirst();
  }

  /**
   * Whether no chunk is held.
   *
   * @return true when empty
   */
  public boolean isEmpty() {
    return pending.isEmpty();
  }

  /** The upstream broke after the held chunks: sending them ends in a cut. */
  public void markBroken() {
    broken = true;
  }

  /**
   * Whether the body broke before it was sent (the cut comes after the held chunks).
   *
   * @return true when broken
   */
  public boolean broken() {
    return broken;
  }

  /**
   * When the response ended with its head (no body bytes, no trailers held), drops the empty end
   * and returns true: the head is sent as the whole response.
   *
   * @return whether the response is its head alone
   */
  public boolean takeHeadOnly() {
    HttpContent end = pending.peekFirst();
    if (broken
        || pending.size() != 1
        || !(end instanceof LastHttpContent last)
        || last.content().isReadable()
        || !last.trailingHeaders().isEmpty()) {
      return false;
    }
    pending.pollFirst().release();
    return true;
  }

  /**
   * Releases an upstream message no attempt takes: a chunk that arrives after its attempt ended, an
   * interim {@code 1xx} head, anything unexpected.
   *
   * @param msg the message
   */
  public static void drop(Object msg) {
    ReferenceCountUtil.release(msg);
  }

  /** Releases every held chunk (the response was dropped). */
  public void release() {
    HttpContent c;
    while ((c = pending.pollFirst()) != null) {
      c.release();
    }
    broken = false;
  }
}
