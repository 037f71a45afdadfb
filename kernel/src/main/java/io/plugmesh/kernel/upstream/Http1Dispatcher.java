package io.plugmesh.kernel.upstream;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandler;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;

/**
 * The permanent last handler of a pooled HTTP/1.1 connection: passes inbound events to the attempt
 * the connection is lent to, and closes the connection when it is idle too long in the pool or the
 * upstream talks on it unasked. Touched only from the connection's event loop.
 */
final class Http1Dispatcher extends ChannelInboundHandlerAdapter {
  /** The connection; set when its pipeline is built. */
  Channel channel;

  /** The attempt the connection is lent to; null while connecting or in the pool. */
  ChannelInboundHandler attempt;

  /** Whether the connection waits in the pool. */
  boolean inPool;

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
    if (attempt != null) {
      attempt.channelRead(ctx, msg);
    } else if (inPool) {
      ReferenceCountUtil.release(msg);
      ctx.close();
    } else {
      ctx.fireChannelRead(msg);
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
    if (attempt != null) {
      attempt.userEventTriggered(ctx, evt);
    } else if (evt instanceof IdleStateEvent && inPool) {
      ctx.close();
    } else {
      ctx.fireUserEventTriggered(evt);
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    if (attempt != null) {
      attempt.channelInactive(ctx);
    } else {
      ctx.fireChannelInactive();
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) throws Exception {
    if (attempt != null) {
      attempt.exceptionCaught(ctx, cause);
    } else if (inPool) {
      ctx.close();
    } else {
      ctx.fireExceptionCaught(cause);
    }
  }
}
