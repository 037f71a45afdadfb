package io.plugmesh.kernel.body;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.Optional;

/**
 * One request's body on its way from the downstream to the upstream attempts, and the owner of
 * every buffer of it: the chunks read, the prebuffer kept for filters and replay, the duplicates
 * each attempt sends, and what is drained after a local answer. A body is either prebuffered (up to
 * the chain's buffered and replay limits, then sent whole to each attempt), or streamed to one
 * attempt chunk by chunk, the next chunk read only after the last one was written. Confined to the
 * exchange's event loop.
 */
public final class RequestBody {
  /** Request-body bytes read and dropped after a local answer before the connection is closed. */
  public static final int MAX_DRAIN_BYTES = 1024 * 1024;

  /** Where the body comes from: the downstream connection, read when the exchange allows. */
  public interface Source {
    /**
     * Reads the next chunk, unless the exchange is over; a client waiting for {@code 100 Continue}
     * is invited first.
     */
    void readBody();

    /** The body was cut short upstream: the downstream connection cannot be reused. */
    void cutShort();
  }

  /** Where the body goes: one upstream attempt. */
  public interface Sink {
    /**
     * Whether the attempt still takes chunks.
     *
     * @return false once the attempt ended
     */
    boolean open();

    /**
     * Writes one chunk upstream; its ownership moves to the sink. The sink reports the write with
     * {@link #chunkWritten} or {@link #stopped}.
     *
     * @param chunk the chunk, a {@link LastHttpContent} when {@code last}
     * @param last whether it ends the body
     */
    void write(HttpContent chunk, boolean last);
  }

  /** What a chunk read while prebuffering led to. */
  public enum Prebuffered {
    /** Read on. */
    MORE,
    /** Run the chain: the body is complete, or too large to keep and streams from here. */
    READY,
    /** The body exceeds what a filter buffers (answer 413); the prebuffer was released. */
    TOO_LARGE
  }

  /** What a chunk read while draining led to. */
  public enum Drained {
    /** Read on. */
    MORE,
    /** The body ended. */
    DONE,
    /** More than {@link #MAX_DRAIN_BYTES} were drained: close instead. */
    OVER_LIMIT
  }

  private final ByteBufAllocator alloc;
  private final Source source;
  private boolean complete;
  private long received;
  private HttpHeaders trailers = EmptyHttpHeaders.INSTANCE;
  private int bufferedLimit;
  private int prebufferLimit;
  private CompositeByteBuf prebuffer;
  private boolean replayable = true;
  private byte[] copy;
  private Sink streaming;
  private boolean draining;
  private long drained;

  /**
   * Creates the body of one exchange.
   *
   * @param alloc the downstream channel's allocator
   * @param source the exchange, which reads the downstream
   */
  public RequestBody(ByteBufAllocator alloc, Source source) {
    this.alloc = alloc;
    this.source = source;
  }

  /**
   * Takes the request head. A head that carries the whole request (HTTP/2 HEADERS with END_STREAM,
   * or a decoder failure) completes the body: its content is counted and released.
   *
   * @param head the head as decoded
   */
  public void start(HttpRequest head) {
    if (head instanceof LastHttpContent full) {
      complete = true;
      received += full.content().readableBytes();
      full.release();
    }
  }

  /**
   * Sets what the route's chain needs kept: a body a filter reads whole, and a body a filter may
   * send again.
   *
   * @param buffered the largest body a filter buffers, 0 when none does
   * @param replay the bytes kept for replay, 0 when no filter replays
   */
  public void limits(int buffered, int replay) {
    this.bufferedLimit = buffered;
    this.prebufferLimit = Math.max(buffered, replay);
  }

  /**
   * Whether the body is prebuffered before the chain runs.
   *
   * @return true when a filter buffers or replays
   */
  public boolean prebuffers() {
    return prebufferLimit > 0;
  }

  /** The body streams once, unread by filters: no attempt after the first can send it. */
  public void streamOnce() {
    replayable = false;
  }

  /**
   * Counts a chunk as it arrives and notes the end of the body and its trailers. The caller still
   * owns the chunk and passes it on to {@link #prebuffer}, {@link #stream}, {@link #drain} or
   * {@link #drop}.
   *
   * @param chunk the chunk
   * @return whether it ends the body
   */
  public boolean received(HttpContent chunk) {
    received += chunk.content().readableBytes();
    if (!(chunk instanceof LastHttpContent last)) {
      return false;
    }
    complete = true;
    if (!last.trailingHeaders().isEmpty()) {
      trailers = new DefaultHttpHeaders().add(last.trailingHeaders());
    }
    return true;
  }

  /**
   * Drops a chunk whose framing broke (the decoder ends a bad chunked body with it), and stops
   * draining: the connection cannot be read on.
   *
   * @param chunk the failed chunk
   * @return what was wrong
   */
  public Throwable dropMalformed(HttpContent chunk) {
    Throwable cause = chunk.decoderResult().cause();
    chunk.release();
    draining = false;
    return cause;
  }

  /**
   * Drops a chunk nobody asked for.
   *
   * @param chunk the chunk
   */
  public void drop(HttpContent chunk) {
    chunk.release();
  }

  /**
   * Keeps a chunk read before the chain runs.
   *
   * @param chunk the chunk; ownership moves here
   * @param last whether it ends the body
   * @return what to do next
   */
  public Prebuffered prebuffer(HttpContent chunk, boolean last) {
    ByteBuf bytes = chunk.content();
    if (bytes.isReadable()) {
      if (prebuffer == null) {
        prebuffer = alloc.compositeBuffer(64);
      }
      prebuffer.addComponent(true, bytes);
    } else {
      chunk.release();
    }
    long size = prebuffer == null ? 0 : prebuffer.readableBytes();
    if (bufferedLimit > 0 && size > bufferedLimit) {
      release();
      return Prebuffered.TOO_LARGE;
    }
    if (size > prebufferLimit) {
      // Too large to keep for replay: send it once, streaming the rest. A body that ends in the
      // chunk that crossed the limit is over it too, however it was framed.
      replayable = false;
      return Prebuffered.READY;
    }
    return last ? Prebuffered.READY : Prebuffered.MORE;
  }

  /**
   * The whole body for filters that read it: present when a filter buffers and the body is
   * complete. Copied once.
   *
   * @return the bytes, or empty
   */
  public Optional<byte[]> bufferedBytes() {
    if (bufferedLimit <= 0 || !complete) {
      return Optional.empty();
    }
    if (copy == null) {
      copy = prebuffer == null ? new byte[0] : ByteBufUtil.getBytes(prebuffer);
    }
    return Optional.of(copy);
  }

  /**
   * Whether another attempt can send the same bytes.
   *
   * @return true when the body is complete and kept whole
   */
  public boolean replayable() {
    return replayable && complete;
  }

  /**
   * Whether a body follows the request head (framing decides the upstream encoding).
   *
   * @return true unless the request is known to be bodyless
   */
  public boolean mayHaveBody() {
    return prebuffer != null || !complete || !trailers.isEmpty();
  }

  /**
   * Sends the body to an attempt whose head was written: a kept body whole (a duplicate, so the
   * next attempt can send it again), or streamed from the downstream after what was read already.
   *
   * @param sink the attempt
   */
  public void send(Sink sink) {
    if (prebuffer != null && replayable()) {
      sendWhole(sink, prebuffer.retainedDuplicate());
      return;
    }
    if (complete && prebuffer == null) {
      sendWhole(sink, Unpooled.EMPTY_BUFFER);
      return;
    }
    streaming = sink;
    if (prebuffer != null) {
      CompositeByteBuf first = prebuffer;
      prebuffer = null;
      stream(new DefaultHttpContent(first), complete);
      return;
    }
    if (complete) {
      stream(new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER), true);
      return;
    }
    source.readBody();
  }

  private void sendWhole(Sink sink, ByteBuf bytes) {
    if (!sink.open()) {
      bytes.release();
      return;
    }
    HttpContent last;
    if (!trailers.isEmpty()) {
      last = new DefaultLastHttpContent(bytes, new DefaultHttpHeaders().add(trailers));
    } else if (bytes.isReadable()) {
      last = new DefaultLastHttpContent(bytes, EmptyHttpHeaders.INSTANCE);
    } else {
      bytes.release();
      last = LastHttpContent.EMPTY_LAST_CONTENT;
    }
    sink.write(last, true);
  }

  /**
   * Whether chunks stream to an attempt.
   *
   * @return true while an attempt takes the body chunk by chunk
   */
  public boolean streaming() {
    return streaming != null;
  }

  /**
   * Passes a chunk to the attempt that streams the body.
   *
   * @param chunk the chunk; ownership moves on
   * @param last whether it ends the body
   */
  public void stream(HttpContent chunk, boolean last) {
    Sink sink = streaming;
    if (!sink.open()) {
      chunk.release();
      stopped(sink);
      return;
    }
    HttpContent out = chunk;
    if (last && !(chunk instanceof LastHttpContent)) {
      out = new DefaultLastHttpContent(chunk.content());
    }
    sink.write(out, last);
  }

  /**
   * An attempt wrote a chunk: the streaming one reads the next.
   *
   * @param sink the attempt
   * @param last whether the chunk ended the body
   */
  public void chunkWritten(Sink sink, boolean last) {
    if (sink != streaming) {
      return;
    }
    if (last) {
      streaming = null;
    } else {
      source.readBody();
    }
  }

  /**
   * An attempt stopped taking the body (it failed or ended). A body it streamed that is not
   * complete was cut short.
   *
   * @param sink the attempt
   */
  public void stopped(Sink sink) {
    if (sink == streaming) {
      streaming = null;
      if (!complete) {
        source.cutShort();
      }
    }
  }

  /** The exchange answered locally: no attempt takes the rest of the body. */
  public void abandonStream() {
    streaming = null;
  }

  /**
   * Whether the rest of the body is read and dropped (after an answer, to keep the connection).
   *
   * @return true while draining
   */
  public boolean draining() {
    return draining;
  }

  /**
   * Sets whether the rest of the body is read and dropped.
   *
   * @param drain true to drain
   */
  public void draining(boolean drain) {
    this.draining = drain;
  }

  /**
   * Drops a chunk read after the answer.
   *
   * @param chunk the chunk
   * @param last whether it ends the body
   * @return what to do next
   */
  public Drained drain(HttpContent chunk, boolean last) {
    drained += chunk.content().readableBytes();
    chunk.release();
    if (last) {
      draining = false;
      return Drained.DONE;
    }
    return drained > MAX_DRAIN_BYTES ? Drained.OVER_LIMIT : Drained.MORE;
  }

  /**
   * Whether the whole body was read from the downstream.
   *
   * @return true after its last chunk
   */
  public boolean complete() {
    return complete;
  }

  /**
   * The body bytes read from the downstream.
   *
   * @return bytes
   */
  public long bytesReceived() {
    return received;
  }

  /** Releases the prebuffer; the exchange ended or answered before routing. */
  public void release() {
    if (prebuffer != null) {
      prebuffer.release();
      prebuffer = null;
    }
  }
}
