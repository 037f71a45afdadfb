package io.plugmesh.kernel.listener;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.ScheduledFuture;
import io.plugmesh.kernel.proxy.ProxyHandler;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Slow-header (slowloris) defence for HTTP/1.1: once the first byte of a request arrives, its whole
 * head must arrive within the limit, else the proxy answers 408 and closes. Sits before the codec.
 */
final class RequestHeadTimeout extends ChannelInboundHandlerAdapter
    implements ProxyHandler.HeadWatch {
  private static final ByteBuf TIMEOUT_RESPONSE =
      Unpooled.unreleasableBuffer(
          Unpooled.copiedBuffer(
              "HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain\r\nconnection: close\r\n"
                  + "content-length: 31\r\n\r\nrequest headers took too long\r\n",
              StandardCharsets.US_ASCII));

  private final long timeoutNanos;
  private ChannelHandlerContext ctx;
  private boolean awaiting = true;
  private ScheduledFuture<?> timer;

  RequestHeadTimeout(Duration timeout) {
    this.timeoutNanos = timeout.toNanos();
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (awaiting && timer == null && msg instanceof ByteBuf buf && buf.isReadable()) {
      timer = ctx.executor().schedule(this::expire, timeoutNanos, TimeUnit.NANOSECONDS);
    }
    ctx.fireChannelRead(msg);
  }

  private void expire() {
    timer = null;
    if (awaiting && ctx.channel().isActive()) {
      ctx.writeAndFlush(TIMEOUT_RESPONSE.duplicate()).addListener(ChannelFutureListener.CLOSE);
    }
  }

  @Override
  public void headReceived() {
    awaiting = false;
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
  }

  @Override
  public void awaitingHead() {
    awaiting = true;
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    headReceived();
    ctx.fireChannelInactive();
  }
}
