package io.plugmesh.kernel.listener;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.plugmesh.kernel.proxy.ProxyHandler;
import io.plugmesh.kernel.timer.LoopDeadlines;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

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
  private final Expiry expiry = new Expiry();
  private ChannelHandlerContext ctx;
  private boolean awaiting = true;
  private boolean timing;

  RequestHeadTimeout(Duration timeout) {
    this.timeoutNanos = timeout.toNanos();
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (awaiting && !timing && msg instanceof ByteBuf buf && buf.isReadable()) {
      timing = true;
      LoopDeadlines.of(ctx.channel().eventLoop()).start(expiry, timeoutNanos);
    }
    ctx.fireChannelRead(msg);
  }

  private void expire() {
    timing = false;
    if (awaiting && ctx.channel().isActive()) {
      ctx.writeAndFlush(TIMEOUT_RESPONSE.duplicate()).addListener(ChannelFutureListener.CLOSE);
    }
  }

  @Override
  public void headReceived() {
    awaiting = false;
    if (timing) {
      LoopDeadlines.cancel(expiry);
      timing = false;
    }
  }

  @Override
  public void awaitingHead() {
    awaiting = true;
  }

  /** This connection's head timeout, one for its lifetime, started again for each request. */
  private final class Expiry extends LoopDeadlines.Entry {
    @Override
    protected void deadlineExpired() {
      expire();
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    headReceived();
    ctx.fireChannelInactive();
  }
}
