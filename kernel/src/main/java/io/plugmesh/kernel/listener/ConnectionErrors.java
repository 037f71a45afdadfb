package io.plugmesh.kernel.listener;

import static java.util.Objects.requireNonNull;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.plugmesh.pluginruntime.CauseLog;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last handler of every downstream connection: a failure no handler before it took (an HTTP/2
 * protocol error such as a Rapid Reset flood, a TLS or codec error) closes the connection (an
 * HTTP/2 connection error is left to the codec, which closes with its own GOAWAY) and is logged
 * rate-limited per cause, never with a stack trace per connection; a client's reset (an {@link
 * IOException}) only at debug. Without it Netty's pipeline tail would log each one with its stack
 * trace.
 */
@ChannelHandler.Sharable
final class ConnectionErrors extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(ConnectionErrors.class);

  private final String listener;
  private final CauseLog causeLog;

  ConnectionErrors(String listener, CauseLog causeLog) {
    this.listener = requireNonNull(listener, "listener");
    this.causeLog = requireNonNull(causeLog, "causeLog");
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof IOException) {
      log.debug(
          "listener '{}': downstream {} failed: {}", listener, ctx.channel(), cause.toString());
    } else {
      causeLog.warn(
          log,
          "downstream-connection",
          cause,
          "listener '{}': downstream connection closed on {}",
          listener,
          cause.toString());
    }
    if (cause instanceof Http2Exception && ctx.pipeline().get(Http2FrameCodec.class) != null) {
      return; // the codec sends its own GOAWAY (e.g. ENHANCE_YOUR_CALM) and closes
    }
    ctx.close();
  }
}
