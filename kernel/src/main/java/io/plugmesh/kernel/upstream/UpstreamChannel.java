package io.plugmesh.kernel.upstream;

import io.netty.channel.Channel;

/**
 * A channel lent to one upstream attempt: a pooled HTTP/1.1 connection or an HTTP/2 stream. Its
 * pipeline ends in a codec producing and consuming Netty {@code HttpObject}s; the attempt adds its
 * own handler last and must call {@link #release} exactly once.
 */
public interface UpstreamChannel {

  /**
   * The channel, on the acquiring event loop, with {@code AUTO_READ} off.
   *
   * @return the channel
   */
  Channel channel();

  /**
   * Whether this connection served an earlier request (a pooled one may have been closed by the
   * upstream meanwhile).
   *
   * @return true if reused
   */
  boolean reused();

  /**
   * Gives the channel back.
   *
   * @param reusable true when the exchange on it completed cleanly in both directions
   */
  void release(boolean reusable);
}
