package io.plugmesh.kernel.proxy;

import io.netty.channel.Channel;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.util.AttributeKey;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One downstream connection as the drain sees it: how many exchanges are in flight on it (one at a
 * time on HTTP/1.1, one per stream on HTTP/2) and whether it closes once they are done. Kept as an
 * attribute of the connection's channel; HTTP/2 streams find it on their parent. Flags change on
 * the connection's event loop; the counts are read from any thread.
 */
public final class Downstream {
  private static final AttributeKey<Downstream> KEY = AttributeKey.valueOf("plugmesh.downstream");

  private final Channel channel;
  private final Downstreams owner;
  private final AtomicInteger inFlight = new AtomicInteger();
  private volatile boolean closing;

  private Downstream(Channel channel, Downstreams owner) {
    this.channel = channel;
    this.owner = owner;
  }

  /**
   * Attaches the state of a newly accepted connection.
   *
   * @param channel the connection
   * @param owner the proxy's connections
   * @return its state
   */
  static Downstream attach(Channel channel, Downstreams owner) {
    Downstream d = new Downstream(channel, owner);
    channel.attr(KEY).set(d);
    return d;
  }

  /**
   * The state of the connection a channel (a connection or an HTTP/2 stream) belongs to.
   *
   * @param channel the connection or stream
   * @return its connection's state, or null when the connection is not tracked
   */
  static Downstream of(Channel channel) {
    Downstream d = channel.attr(KEY).get();
    if (d == null && channel.parent() != null) {
      d = channel.parent().attr(KEY).get();
    }
    return d;
  }

  /**
   * The connection's channel.
   *
   * @return the channel
   */
  Channel channel() {
    return channel;
  }

  void exchangeStarted() {
    inFlight.incrementAndGet();
  }

  void exchangeEnded() {
    inFlight.decrementAndGet();
    owner.exchangeEnded();
  }

  /**
   * Exchanges in flight now.
   *
   * @return the count
   */
  int inFlight() {
    return inFlight.get();
  }

  /**
   * Whether the connection closes after the exchanges in flight: an HTTP/1.1 response then carries
   * {@code Connection: close}.
   *
   * @return true while the proxy drains
   */
  boolean closing() {
    return closing;
  }

  /**
   * Starts closing the connection gracefully; runs on its event loop. HTTP/2 connections send
   * GOAWAY (NO_ERROR, the last stream id taken) and close when their streams are done; HTTP/1.1
   * connections close now when idle, else after the response in flight. Connections whose protocol
   * is not known yet (no request seen) close now.
   */
  void drain() {
    closing = true;
    if (channel.pipeline().get(Http2FrameCodec.class) != null) {
      channel.close(); // the codec's graceful close: GOAWAY now, close after the last stream
    } else if (inFlight.get() == 0) {
      channel.close();
    }
  }

  /** Closes the connection at once, whatever is in flight (the drain timed out). */
  void cut() {
    channel.unsafe().close(channel.voidPromise());
  }
}
