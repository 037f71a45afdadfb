package io.plugmesh.kernel.listener;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2ChannelDuplexHandler;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2FrameStream;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2SettingsFrame;
import io.netty.util.ReferenceCountUtil;
import io.plugmesh.config.Limits;
import io.plugmesh.kernel.testing.KernelFixture;
import io.plugmesh.kernel.testing.TestUpstream;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * HTTP/2 (h2c prior knowledge) limits of a listener, driven by a raw Netty frame client: the
 * advertised SETTINGS carry the configured limits, and a Rapid Reset flood (open a stream, reset
 * it, repeat) gets the connection closed with GOAWAY ENHANCE_YOUR_CALM while honest cancellation
 * below the limit does not.
 */
class Http2LimitsIT {
  static final int MAX_STREAMS = 7;
  static final int MAX_RESETS = 10;
  static final int MAX_HEADER_BYTES = 8192;

  /** Streams opened and reset by the flood; well above {@link #MAX_RESETS}, bounded. */
  static final int FLOOD_STREAMS = 5 * MAX_RESETS;

  static TestUpstream up;
  static KernelFixture proxy;
  static EventLoopGroup clientGroup;

  @BeforeAll
  static void start() throws Exception {
    up = TestUpstream.http1("up");
    Limits d = Limits.DEFAULTS;
    Limits limits =
        new Limits(
            MAX_HEADER_BYTES,
            d.maxHeaderCount(),
            d.maxUriBytes(),
            MAX_STREAMS,
            MAX_RESETS,
            Duration.ofSeconds(60),
            d.idleTimeout(),
            d.requestHeadersTimeout(),
            d.defaultRouteTimeout(),
            d.maxPendingBodyBytes(),
            d.drainTimeout(),
            d.blockedLoopThreshold(),
            d.quarantineBlockingPlugins());
    proxy =
        KernelFixture.start(
            """
            listeners: [{name: main, address: 127.0.0.1:0}]
            clusters: [{name: up, endpoints: [{address: %s}]}]
            routes: [{name: all, match: {pathPrefix: /}, cluster: up}]
            """
                .formatted(up.address()),
            limits);
    clientGroup = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  }

  @AfterAll
  static void stop() {
    proxy.close();
    up.close();
    clientGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }

  /** A raw h2c client connection: writes frames as told and records what arrived. */
  static final class H2Client extends Http2ChannelDuplexHandler {
    final CompletableFuture<Http2Settings> settings = new CompletableFuture<>();
    final CompletableFuture<Http2GoAwayFrame> goAway = new CompletableFuture<>();
    final CompletableFuture<String> firstStatus = new CompletableFuture<>();
    Channel channel;

    static H2Client connect(int port) throws InterruptedException {
      H2Client client = new H2Client();
      Http2FrameCodec codec = Http2FrameCodecBuilder.forClient().build();
      client.channel =
          new Bootstrap()
              .group(clientGroup)
              .channel(NioSocketChannel.class)
              .handler(
                  new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                      ch.pipeline().addLast(codec, client);
                    }
                  })
              .connect("127.0.0.1", port)
              .sync()
              .channel();
      return client;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      try {
        if (msg instanceof Http2SettingsFrame s) {
          settings.complete(s.settings());
        } else if (msg instanceof Http2GoAwayFrame g) {
          goAway.complete(g.retainedDuplicate());
        } else if (msg instanceof Http2HeadersFrame h) {
          firstStatus.complete(String.valueOf(h.headers().status()));
        } else if (msg instanceof Http2DataFrame) {
          // bodies are not needed
        }
      } finally {
        ReferenceCountUtil.release(msg);
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }

    static Http2Headers get(String path) {
      return new DefaultHttp2Headers().method("GET").scheme("http").authority("t").path(path);
    }

    /** On the client loop: opens {@code n} streams and resets each right after its HEADERS. */
    CompletableFuture<Void> openAndReset(int n, String path) {
      CompletableFuture<Void> done = new CompletableFuture<>();
      channel
          .eventLoop()
          .execute(
              () -> {
                for (int i = 0; i < n && channel.isActive(); i++) {
                  Http2FrameStream stream = newStream();
                  channel.write(new DefaultHttp2HeadersFrame(get(path), true).stream(stream));
                  channel.write(new DefaultHttp2ResetFrame(Http2Error.CANCEL).stream(stream));
                }
                channel.flush();
                done.complete(null);
              });
      return done;
    }

    /** On the client loop: sends one complete GET on a new stream. */
    void request(String path) {
      channel
          .eventLoop()
          .execute(
              () ->
                  channel.writeAndFlush(
                      new DefaultHttp2HeadersFrame(get(path), true).stream(newStream())));
    }

    void close() {
      channel.close().syncUninterruptibly();
      if (goAway.isDone()) {
        goAway.join().release();
      }
    }
  }

  @Test
  void advertisedSettingsCarryTheConfiguredLimits() throws Exception {
    H2Client client = H2Client.connect(proxy.port("main"));
    try {
      Http2Settings settings = client.settings.get(10, TimeUnit.SECONDS);
      assertThat(settings.maxConcurrentStreams()).isEqualTo(MAX_STREAMS);
      assertThat(settings.maxHeaderListSize()).isEqualTo(MAX_HEADER_BYTES);
      // And the connection serves requests.
      client.request("/echo/h2");
      assertThat(client.firstStatus.get(10, TimeUnit.SECONDS)).isEqualTo("200");
    } finally {
      client.close();
    }
  }

  @Test
  void aRapidResetFloodClosesTheConnectionWithGoAway() throws Exception {
    H2Client client = H2Client.connect(proxy.port("main"));
    try {
      client.settings.get(10, TimeUnit.SECONDS);
      client.openAndReset(FLOOD_STREAMS, "/delay/2000").get(10, TimeUnit.SECONDS);
      Http2GoAwayFrame goAway = client.goAway.get(10, TimeUnit.SECONDS);
      assertThat(goAway.errorCode()).isEqualTo(Http2Error.ENHANCE_YOUR_CALM.code());
      assertThat(client.channel.closeFuture().await(10, TimeUnit.SECONDS)).isTrue();
    } finally {
      client.close();
    }
  }

  @Test
  void cancellingBelowTheLimitKeepsTheConnection() throws Exception {
    H2Client client = H2Client.connect(proxy.port("main"));
    try {
      client.settings.get(10, TimeUnit.SECONDS);
      client.openAndReset(MAX_RESETS / 2, "/delay/2000").get(10, TimeUnit.SECONDS);
      client.request("/echo/after-cancels");
      assertThat(client.firstStatus.get(10, TimeUnit.SECONDS)).isEqualTo("200");
      assertThat(client.goAway).isNotDone();
      assertThat(client.channel.isActive()).isTrue();
    } finally {
      client.close();
    }
  }
}
