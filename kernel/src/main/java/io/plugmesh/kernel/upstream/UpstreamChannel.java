package io.plugmesh.kernel.upstream;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandler;

/**
 * A channel lent to one upstream attempt: a pooled HTTP/1.1 connection or an HTTP/2 stream. Its
 * pipeline ends in a codec producing and consuming Netty {@code HttpObject}s; the attempt {@link
 * #attach attaches} its handler, which then receives the channel's inbound events until {@link
 * #release}, and must call {@link #release} exactly once.
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
   * Routes the channel's inbound events (reads, user events, exceptions, inactive) to {@code
   * handler} until {@link #release}. A pooled connection keeps one permanent handler that
   * dispatches to it, so lending it changes no pipeline; a stream gets the handler added last.
   *
   * @param handler the attempt's handler; it is called with the context of the last handler
   */
  void attach(ChannelInboundHandler handler);

  /**
   * Detaches the handler and gives the channel back.
   *
   * @param reusable true when the exchange on it completed cleanly in both directions
   */
  void release(boolean reusable);
}
