package io.plugmesh.benchmarks.relay;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpObject;
import io.netty.util.ReferenceCountUtil;

/**
 * Writes every decoded HTTP message of its channel to the peer channel and reads again only once
 * the peer has taken the last message of a read (read-after-write backpressure). Both channels run
 * on the same event loop.
 */
class RelayHandler extends ChannelInboundHandlerAdapter {
  private Channel peer;
  private ChannelFuture lastWrite;

  RelayHandler(Channel peer) {
    this.peer = peer;
  }

  /** Sets the peer once it is connected; before that this channel does not read. */
  void peer(Channel peer) {
    this.peer = peer;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (peer == null || !peer.isActive()) {
      ReferenceCountUtil.release(msg);
      ctx.close();
      return;
    }
    if (msg instanceof HttpObject http && http.decoderResult().isFailure()) {
      ReferenceCountUtil.release(msg);
      ctx.close();
      return;
    }
    lastWrite = peer.write(msg);
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    ChannelFuture last = lastWrite;
    lastWrite = null;
    if (last == null) {
      // Nothing decoded yet (a partial message): read on.
      if (peer != null) {
        ctx.read();
      }
      return;
    }
    peer.flush();
    last.addListener(
        (ChannelFutureListener)
            f -> {
              if (f.isSuccess()) {
                ctx.read();
              } else {
                ctx.close();
              }
            });
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (peer != null) {
      closeOnFlush(peer);
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    closeOnFlush(ctx.channel());
  }

  /** Closes a channel after everything written to it so far has been flushed. */
  static void closeOnFlush(Channel ch) {
    if (ch.isActive()) {
      ch.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }
  }
}
