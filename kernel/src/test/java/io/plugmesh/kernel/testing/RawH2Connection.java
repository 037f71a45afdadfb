package io.plugmesh.kernel.testing;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http2.DefaultHttp2FrameReader;
import io.netty.handler.codec.http2.DefaultHttp2FrameWriter;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2EventAdapter;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Settings;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * An HTTP/2 (h2c prior knowledge) connection that writes frames as told, with no stream state of
 * its own: it can send what a well-behaved client never would (DATA after END_STREAM, WINDOW_UPDATE
 * 0), and records the server's resets and GOAWAY. Frames arrive on its event loop; {@link #onReset}
 * runs there.
 */
public final class RawH2Connection implements AutoCloseable {
  private final EventLoopGroup group;
  private final Channel channel;
  private final DefaultHttp2FrameWriter writer = new DefaultHttp2FrameWriter();

  /** The server's first SETTINGS. */
  public final CompletableFuture<Http2Settings> settings = new CompletableFuture<>();

  /** The server's GOAWAY error code. */
  public final CompletableFuture<Long> goAway = new CompletableFuture<>();

  /** RST_STREAM frames received, by error code. */
  public final Map<Long, AtomicInteger> resets = new ConcurrentHashMap<>();

  /** Response heads received. */
  public final AtomicInteger responses = new AtomicInteger();

  private volatile IntConsumer onReset = id -> {};
  private ChannelHandlerContext ctx;

  private RawH2Connection(EventLoopGroup group, int port) throws InterruptedException {
    this.group = group;
    this.channel =
        new Bootstrap()
            .group(group)
            .channel(NioSocketChannel.class)
            .handler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    ch.pipeline().addLast(new Reader());
                  }
                })
            .connect("127.0.0.1", port)
            .sync()
            .channel();
    channel
        .eventLoop()
        .submit(
            () -> {
              ctx = channel.pipeline().firstContext();
              ctx.write(Http2CodecUtil.connectionPrefaceBuf());
              writer.writeSettings(ctx, new Http2Settings(), ctx.newPromise());
              ctx.flush();
            })
        .sync();
  }

  /** Connects to 127.0.0.1:port and sends the preface and empty SETTINGS. */
  public static RawH2Connection connect(int port) throws InterruptedException {
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    try {
      return new RawH2Connection(group, port);
    } catch (InterruptedException | RuntimeException e) {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      throw e;
    }
  }

  /** A GET head for {@code path}. */
  public static Http2Headers get(String path) {
    return new DefaultHttp2Headers().method("GET").scheme("http").authority("t").path(path);
  }

  /** Runs {@code action} on the connection's event loop. */
  public void execute(Runnable action) {
    channel.eventLoop().execute(action);
  }

  /** Called on the event loop with the stream id of each RST_STREAM received. */
  public void onReset(IntConsumer action) {
    this.onReset = action;
  }

  /** Writes HEADERS; on the event loop. */
  public void headers(int streamId, Http2Headers headers, boolean endStream) {
    writer.writeHeaders(ctx, streamId, headers, 0, endStream, ctx.newPromise());
  }

  /** Writes DATA; on the event loop. */
  public void data(int streamId, byte[] bytes, boolean endStream) {
    writer.writeData(ctx, streamId, Unpooled.wrappedBuffer(bytes), 0, endStream, ctx.newPromise());
  }

  /** Writes a WINDOW_UPDATE of any increment, zero included; on the event loop. */
  public void windowUpdate(int streamId, int increment) {
    ByteBuf frame = ctx.alloc().buffer(Http2CodecUtil.FRAME_HEADER_LENGTH + 4);
    frame.writeMedium(4).writeByte(0x8).writeByte(0).writeInt(streamId).writeInt(increment);
    ctx.write(frame);
  }

  /** Flushes; on the event loop. */
  public void flush() {
    ctx.flush();
  }

  /** Whether the connection is open. */
  public boolean isOpen() {
    return channel.isActive();
  }

  /** Completes when the server closed the connection. */
  public boolean awaitClosed(long seconds) throws InterruptedException {
    return channel.closeFuture().await(seconds, TimeUnit.SECONDS);
  }

  /** How many RST_STREAM frames carried {@code code}. */
  public int resets(long code) {
    AtomicInteger n = resets.get(code);
    return n == null ? 0 : n.get();
  }

  @Override
  public void close() {
    channel.close().syncUninterruptibly();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }

  private final class Reader extends ByteToMessageDecoder {
    private final DefaultHttp2FrameReader reader = new DefaultHttp2FrameReader(false);
    private final Http2EventAdapter listener =
        new Http2EventAdapter() {
          @Override
          public void onSettingsRead(ChannelHandlerContext c, Http2Settings s) {
            writer.writeSettingsAck(c, c.newPromise());
            c.flush();
            settings.complete(s);
          }

          @Override
          public void onPingRead(ChannelHandlerContext c, long data) {
            writer.writePing(c, true, data, c.newPromise());
            c.flush();
          }

          @Override
          public void onHeadersRead(
              ChannelHandlerContext c,
              int streamId,
              Http2Headers headers,
              int padding,
              boolean endStream) {
            responses.incrementAndGet();
          }

          @Override
          public void onHeadersRead(
              ChannelHandlerContext c,
              int streamId,
              Http2Headers headers,
              int dependency,
              short weight,
              boolean exclusive,
              int padding,
              boolean endStream) {
            responses.incrementAndGet();
          }

          @Override
          public int onDataRead(
              ChannelHandlerContext c, int streamId, ByteBuf data, int padding, boolean end) {
            return data.readableBytes() + padding;
          }

          @Override
          public void onRstStreamRead(ChannelHandlerContext c, int streamId, long errorCode) {
            resets.computeIfAbsent(errorCode, k -> new AtomicInteger()).incrementAndGet();
            onReset.accept(streamId);
          }

          @Override
          public void onGoAwayRead(
              ChannelHandlerContext c, int lastStreamId, long errorCode, ByteBuf debugData) {
            goAway.complete(errorCode);
          }
        };

    @Override
    protected void decode(ChannelHandlerContext c, ByteBuf in, List<Object> out)
        throws Http2Exception {
      reader.readFrame(c, in, listener);
    }

    @Override
    public void channelInactive(ChannelHandlerContext c) throws Exception {
      goAway.complete(-1L);
      super.channelInactive(c);
    }

    @Override
    public void handlerRemoved0(ChannelHandlerContext c) {
      reader.close();
    }
  }
}
