package io.plugmesh.kernel.listener;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.http2.DefaultHttp2GoAwayFrame;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameStreamException;
import io.netty.handler.codec.http2.Http2ResetFrame;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The reset budget of one downstream HTTP/2 connection (Rapid Reset and MadeYouReset defence).
 * Every stream reset the client causes counts: the RST_STREAM frames it sends, and the ones the
 * proxy sends because of a stream error in the client's frames (DATA after END_STREAM,
 * WINDOW_UPDATE 0, ...). Those are answered with the error code of the stream error, as RFC 9113
 * asks, before the stream's exchange is torn down. More than {@code maxResets} in one window ends
 * the connection with GOAWAY ENHANCE_YOUR_CALM. Sits between the frame codec and the stream
 * multiplexer.
 */
final class ResetBudget extends ChannelInboundHandlerAdapter {
  /**
   * How long a connection over budget is still read (and its frames dropped) after GOAWAY before it
   * is closed: closing with unread bytes would reset the TCP connection and could lose the GOAWAY.
   */
  static final long GOAWAY_GRACE_MILLIS = 1_000;

  private final int maxResets;
  private final long windowNanos;
  private long windowStart;
  private int resets;
  private boolean exceeded;

  ResetBudget(int maxResets, Duration window) {
    this.maxResets = maxResets;
    this.windowNanos = window.toNanos();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof Http2ResetFrame) {
      spend(ctx);
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof Http2FrameStreamException e) {
      // Reset with the stream error's own code; the multiplexer then closes the stream's channel,
      // whose exchange cancels its upstream work (its own CANCEL is not sent: the reset is out).
      ctx.writeAndFlush(new DefaultHttp2ResetFrame(e.error()).stream(e.stream()));
      spend(ctx);
    }
    ctx.fireExceptionCaught(cause);
  }

  private void spend(ChannelHandlerContext ctx) {
    long now = System.nanoTime();
    if (resets == 0 || now - windowStart > windowNanos) {
      windowStart = now;
      resets = 0;
    }
    resets++;
    if (resets > maxResets && !exceeded) {
      exceeded = true;
      ctx.writeAndFlush(
              new DefaultHttp2GoAwayFrame(
                  Http2Error.ENHANCE_YOUR_CALM,
                  ctx.alloc()
                      .buffer()
                      .writeBytes(
                          ("more than " + maxResets + " stream resets")
                              .getBytes(StandardCharsets.US_ASCII))))
          .addListener(
              (ChannelFutureListener)
                  f -> {
                    if (f.channel() instanceof DuplexChannel duplex && f.isSuccess()) {
                      duplex.shutdownOutput();
                      f.channel()
                          .eventLoop()
                          .schedule(
                              () -> f.channel().close(),
                              GOAWAY_GRACE_MILLIS,
                              TimeUnit.MILLISECONDS);
                    } else {
                      f.channel().close();
                    }
                  });
    }
  }
}
