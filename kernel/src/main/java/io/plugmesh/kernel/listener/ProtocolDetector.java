package io.plugmesh.kernel.listener;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Tells HTTP/2 with prior knowledge (h2c) from HTTP/1.1 on a plaintext port by the connection
 * preface, then hands the connection to the matching pipeline. A connection that does not show its
 * protocol within the idle timeout (it sends nothing, or stalls inside the preface) is closed.
 */
final class ProtocolDetector extends ByteToMessageDecoder {
  private static final ByteBuf PREFACE = Http2CodecUtil.connectionPrefaceBuf();

  /** Configures a connection once its protocol is known. */
  interface Setup {
    void http1(ChannelHandlerContext ctx);

    void http2(ChannelHandlerContext ctx);
  }

  private final Setup setup;
  private final long idleTimeoutNanos;
  private ScheduledFuture<?> idleTimer;

  ProtocolDetector(Setup setup, Duration idleTimeout) {
    this.setup = setup;
    this.idleTimeoutNanos = idleTimeout.toNanos();
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) throws Exception {
    idleTimer = ctx.executor().schedule(() -> ctx.close(), idleTimeoutNanos, TimeUnit.NANOSECONDS);
    ctx.read();
    super.channelActive(ctx);
  }

  @Override
  protected void handlerRemoved0(ChannelHandlerContext ctx) {
    cancelIdleTimer();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    cancelIdleTimer();
    super.channelInactive(ctx);
  }

  private void cancelIdleTimer() {
    if (idleTimer != null) {
      idleTimer.cancel(false);
      idleTimer = null;
    }
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    int n = Math.min(in.readableBytes(), PREFACE.readableBytes());
    for (int i = 0; i < n; i++) {
      if (in.getByte(in.readerIndex() + i) != PREFACE.getByte(i)) {
        setup.http1(ctx);
        ctx.pipeline().remove(this);
        return;
      }
    }
    if (n == PREFACE.readableBytes()) {
      setup.http2(ctx);
      ctx.pipeline().remove(this);
      return;
    }
    ctx.read();
  }
}
