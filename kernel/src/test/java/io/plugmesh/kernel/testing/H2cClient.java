package io.plugmesh.kernel.testing;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A minimal h2c (prior knowledge) client for tests: sends a bodiless request on one stream and
 * counts the response body bytes as they arrive, discarding them; flow-control credit is returned
 * as bytes are consumed, so the server can only send as fast as this client reads.
 */
public final class H2cClient implements AutoCloseable {
  /** A response: status and how many body bytes arrived. */
  public record Result(int status, long bodyBytes) {}

  private final EventLoopGroup group =
      new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  private final Channel connection;

  /** Connects to {@code 127.0.0.1:port}. */
  public H2cClient(int port) throws InterruptedException {
    connection =
        new Bootstrap()
            .group(group)
            .channel(NioSocketChannel.class)
            .handler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    ch.pipeline()
                        .addLast(Http2FrameCodecBuilder.forClient().build())
                        .addLast(
                            new Http2MultiplexHandler(
                                new ChannelInboundHandlerAdapter() {
                                  @Override
                                  public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                    ReferenceCountUtil.release(msg); // no pushed streams expected
                                  }
                                }));
                  }
                })
            .connect("127.0.0.1", port)
            .sync()
            .channel();
  }

  /** Sends {@code GET path}; the future completes when the response ends. */
  public CompletableFuture<Result> get(String authority, String path) {
    CompletableFuture<Result> result = new CompletableFuture<>();
    new Http2StreamChannelBootstrap(connection)
        .handler(new Counter(result))
        .open()
        .addListener(
            f -> {
              if (!f.isSuccess()) {
                result.completeExceptionally(f.cause());
                return;
              }
              Http2StreamChannel stream = (Http2StreamChannel) f.getNow();
              Http2Headers headers =
                  new DefaultHttp2Headers()
                      .method("GET")
                      .scheme("http")
                      .authority(authority)
                      .path(path);
              stream
                  .writeAndFlush(new DefaultHttp2HeadersFrame(headers, true))
                  .addListener(
                      w -> {
                        if (!w.isSuccess()) {
                          result.completeExceptionally(w.cause());
                        }
                      });
            });
    return result;
  }

  @Override
  public void close() {
    connection.close().syncUninterruptibly();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }

  /** Counts one stream's response. */
  private static final class Counter extends ChannelInboundHandlerAdapter {
    private final CompletableFuture<Result> result;
    private int status;
    private long bytes;

    Counter(CompletableFuture<Result> result) {
      this.result = result;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      try {
        boolean end = false;
        if (msg instanceof Http2HeadersFrame headers) {
          CharSequence s = headers.headers().status();
          if (s != null && status == 0) {
            status = Integer.parseInt(s.toString());
          }
          end = headers.isEndStream();
        } else if (msg instanceof Http2DataFrame data) {
          bytes += data.content().readableBytes();
          end = data.isEndStream();
        } else if (msg instanceof Http2ResetFrame reset) {
          result.completeExceptionally(
              new IOException("stream reset by the server: error " + reset.errorCode()));
          return;
        }
        if (end) {
          result.complete(new Result(status, bytes));
        }
      } finally {
        ReferenceCountUtil.release(msg);
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      result.completeExceptionally(
          new IOException("stream closed after " + bytes + " body bytes, status " + status));
      ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      result.completeExceptionally(cause);
      ctx.close();
    }
  }
}
