package io.plugmesh.benchmarks.relay;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.HttpServerCodec;

/**
 * The baseline for the load benchmark: an HTTP/1.1 relay made of Netty's codecs and nothing else.
 * Each downstream connection gets its own upstream connection on the same event loop; decoded
 * messages are passed through as they are, and each side reads again only after the other side took
 * what was read (no routing, no filters, no header rewriting).
 *
 * <p>Usage: {@code BareRelay [listenHost:]listenPort upstreamHost:upstreamPort}. The listen host
 * defaults to {@value #DEFAULT_LISTEN_HOST}; the number of event loops is the system property
 * {@code relay.threads}, by default the number of processors the JVM may use.
 */
public final class BareRelay {

  /** The address the relay listens on when only a port is given. */
  public static final String DEFAULT_LISTEN_HOST = "127.0.0.1";

  /** Accept backlog of the listening socket. */
  public static final int BACKLOG = 1024;

  /** Upstream connect timeout in milliseconds. */
  public static final int CONNECT_TIMEOUT_MILLIS = 5_000;

  private BareRelay() {}

  /**
   * Starts the relay and serves until the process is stopped.
   *
   * @param args {@code [listenHost:]listenPort upstreamHost:upstreamPort}
   * @throws InterruptedException if interrupted while binding or serving
   */
  public static void main(String[] args) throws InterruptedException {
    if (args.length != 2) {
      System.err.println("usage: BareRelay [listenHost:]listenPort upstreamHost:upstreamPort");
      System.exit(2);
    }
    String[] listen = hostPort(args[0], DEFAULT_LISTEN_HOST, "listen address");
    String[] upstream = hostPort(args[1], null, "upstream address");
    int threads = Integer.getInteger("relay.threads", Runtime.getRuntime().availableProcessors());
    if (threads <= 0) {
      throw new IllegalArgumentException("relay.threads: " + threads + " (expected: > 0)");
    }
    boolean epoll = Epoll.isAvailable();
    IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    Class<? extends ServerChannel> serverType =
        epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    Class<? extends Channel> clientType = epoll ? EpollSocketChannel.class : NioSocketChannel.class;
    String upstreamHost = upstream[0];
    int upstreamPort = Integer.parseInt(upstream[1]);

    EventLoopGroup group = new MultiThreadIoEventLoopGroup(threads, io);
    try {
      Channel server =
          new ServerBootstrap()
              .group(group)
              .channel(serverType)
              .option(ChannelOption.SO_BACKLOG, BACKLOG)
              .childOption(ChannelOption.AUTO_READ, false)
              .childOption(ChannelOption.TCP_NODELAY, true)
              .childHandler(
                  new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                      ch.pipeline()
                          .addLast(
                              new HttpServerCodec(),
                              new FrontendHandler(clientType, upstreamHost, upstreamPort));
                    }
                  })
              .bind(listen[0], Integer.parseInt(listen[1]))
              .sync()
              .channel();
      System.out.printf(
          "bare relay on %s -> %s:%d (%s, %d event loops)%n",
          server.localAddress(), upstreamHost, upstreamPort, epoll ? "epoll" : "nio", threads);
      Runtime.getRuntime().addShutdownHook(new Thread(server::close, "bare-relay-shutdown"));
      server.closeFuture().sync();
    } finally {
      group.shutdownGracefully();
    }
  }

  private static String[] hostPort(String value, String defaultHost, String what) {
    int colon = value.lastIndexOf(':');
    String host = colon < 0 ? defaultHost : value.substring(0, colon);
    String port = value.substring(colon + 1);
    if (host == null || host.isEmpty() || !port.matches("\\d{1,5}")) {
      throw new IllegalArgumentException(
          what
              + ": '"
              + value
              + "' (expected: "
              + (defaultHost == null ? "host:port" : "[host:]port")
              + ")");
    }
    return new String[] {host, port};
  }
}
