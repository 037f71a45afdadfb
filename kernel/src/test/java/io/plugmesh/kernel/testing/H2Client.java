package io.plugmesh.kernel.testing;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * An HTTP/2 client with prior knowledge (h2c) for kernel tests: one TCP connection, one stream per
 * request, responses aggregated (trailers kept).
 */
public final class H2Client implements AutoCloseable {
  /** Largest response body a request aggregates. */
  public static final int MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

  /** A complete response; headers and trailers are heap copies. */
  public record Response(int status, HttpHeaders headers, byte[] body, HttpHeaders trailers) {
    /** The body as UTF-8 text. */
    public String text() {
      return new String(body, StandardCharsets.UTF_8);
    }
  }

  private final EventLoopGroup group;
  private final Channel connection;
  private final String authority;

  private H2Client(EventLoopGroup group, Channel connection, String authority) {
    this.group = group;
    this.connection = connection;
    this.authority = authority;
  }

  /** Connects to 127.0.0.1:port and sends the connection preface. */
  public static H2Client connect(int port) throws InterruptedException {
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    try {
      Channel ch =
          new Bootstrap()
              .group(group)
              .channel(NioSocketChannel.class)
              .handler(
                  new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel c) {
                      c.pipeline()
                          .addLast(Http2FrameCodecBuilder.forClient().build())
                          .addLast(
                              new Http2MultiplexHandler(
                                  new ChannelInboundHandlerAdapter() {
                                    @Override
                                    public void channelRead(ChannelHandlerContext ctx, Object m) {
                                      ReferenceCountUtil.release(m); // no server push
                                    }
                                  }));
                    }
                  })
              .connect("127.0.0.1", port)
              .sync()
              .channel();
      return new H2Client(group, ch, "127.0.0.1:" + port);
    } catch (InterruptedException | RuntimeException e) {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      throw e;
    }
  }

  /** Whether the TCP connection is still open. */
  public boolean isOpen() {
    return connection.isActive();
  }

  /** A GET without headers. */
  public CompletableFuture<Response> get(String path) {
    return send(HttpMethod.GET, path, new byte[0], Map.of());
  }

  /**
   * Sends one request on a new stream.
   *
   * @param method the method
   * @param path the path and query
   * @param body the body; empty sends HEADERS with END_STREAM
   * @param headers extra request headers
   * @return the response, or a failure when the stream ends without one
   */
  public CompletableFuture<Response> send(
      HttpMethod method, String path, byte[] body, Map<String, String> headers) {
    CompletableFuture<Response> result = new CompletableFuture<>();
    new Http2StreamChannelBootstrap(connection)
        .handler(
            new ChannelInitializer<Http2StreamChannel>() {
              @Override
              protected void initChannel(Http2StreamChannel stream) {
                stream
                    .pipeline()
                    .addLast(new Http2StreamFrameToHttpObjectCodec(false))
                    .addLast(new HttpObjectAggregator(MAX_RESPONSE_BYTES))
                    .addLast(new Collector(result));
              }
            })
        .open()
        .addListener(
            (Future<Http2StreamChannel> f) -> {
              if (!f.isSuccess()) {
                result.completeExceptionally(f.cause());
                return;
              }
              FullHttpRequest request =
                  new DefaultFullHttpRequest(
                      HttpVersion.HTTP_1_1, method, path, Unpooled.wrappedBuffer(body));
              request.headers().set(HttpHeaderNames.HOST, authority);
              headers.forEach((k, v) -> request.headers().set(k, v));
              f.getNow()
                  .writeAndFlush(request)
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

  /** Completes the future with the aggregated response, or fails it when the stream closes. */
  private static final class Collector extends SimpleChannelInboundHandler<FullHttpResponse> {
    private final CompletableFuture<Response> result;

    Collector(CompletableFuture<Response> result) {
      this.result = result;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse msg) {
      result.complete(
          new Response(
              msg.status().code(),
              new DefaultHttpHeaders().add(msg.headers()),
              ByteBufUtil.getBytes(msg.content()),
              new DefaultHttpHeaders().add(msg.trailingHeaders())));
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      result.completeExceptionally(new IllegalStateException("stream closed without a response"));
      ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      result.completeExceptionally(cause);
      ctx.close();
    }
  }
}
