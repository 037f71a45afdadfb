package io.plugmesh.kernel.admin;

import static java.util.Objects.requireNonNull;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The admin HTTP/1.1 server: {@code GET /live}, {@code /ready}, {@code /metrics}, {@code /config}
 * and {@code /plugins}, and {@code POST /plugins/reload}. Netty does the I/O on the given event
 * loop group; the endpoints run on one admin worker thread with a bounded queue ({@link
 * #MAX_PENDING_REQUESTS}, beyond it 503), so a slow scrape or config dump never holds an event
 * loop.
 *
 * <ul>
 *   <li>{@code /live}: 200 {@code live} or 503 {@code not live}
 *   <li>{@code /ready}: {@code {"ready":..,"stale":..,"detail":..,"configVersion":..}}, 200 when
 *       ready (also when stale), 503 when not
 *   <li>{@code /metrics}: Prometheus text 0.0.4, or OpenMetrics 1.0 when the {@code Accept} header
 *       asks for {@code application/openmetrics-text}
 *   <li>{@code /config}: {@code {"version":N,"config":{...}}}
 *   <li>{@code /plugins}: a JSON list
 *   <li>{@code POST /plugins/reload}: loads new and changed plugin jars and moves the routes to
 *       them (a new config version); 200 with what changed, 409 with the reason when the current
 *       config does not build with them (nothing changed). Refused (403) with an {@code Origin}
 *       header, so a web page cannot trigger it.
 * </ul>
 *
 * Other paths answer 404, other methods 405 with {@code Allow: GET} (or {@code POST}).
 */
public final class AdminServer implements AutoCloseable {

  /** Content type of the Prometheus text exposition format 0.0.4. */
  public static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

  /** Content type of the OpenMetrics 1.0 text format. */
  public static final String OPENMETRICS_TEXT =
      "application/openmetrics-text; version=1.0.0; charset=utf-8";

  /** The largest admin request (headers aside) accepted; larger ones answer 413. */
  public static final int MAX_REQUEST_BYTES = 8 * 1024;

  /** Requests that may wait for the admin worker; more answer 503. */
  public static final int MAX_PENDING_REQUESTS = 64;

  /** An admin connection idle this long is closed. */
  public static final int IDLE_TIMEOUT_SECONDS = 60;

  private static final int MAX_INITIAL_LINE_BYTES = 4096;
  private static final int MAX_HEADER_BYTES = 8192;
  private static final long CLOSE_TIMEOUT_SECONDS = 5;

  private final Channel serverChannel;
  private final ChannelGroup connections;
  private final ExecutorService worker;

  private AdminServer(Channel serverChannel, ChannelGroup connections, ExecutorService worker) {
    this.serverChannel = serverChannel;
    this.connections = connections;
    this.worker = worker;
  }

  /**
   * Binds the admin server and returns once it listens.
   *
   * @param host the address to bind, e.g. {@code 127.0.0.1}; only that address is bound
   * @param port the port, 0 for an ephemeral one
   * @param state what the endpoints show
   * @param group the event loop group for accepting and serving (NIO or epoll)
   * @return the running server
   * @throws IllegalStateException when the address cannot be bound
   */
  public static AdminServer start(String host, int port, AdminState state, EventLoopGroup group) {
    return start(host, port, state, group, null);
  }

  /**
   * Binds the admin server with a token: {@code /config}, {@code /plugins} and POST endpoints then
   * answer 401 without {@code Authorization: Bearer <token>}; {@code /live}, {@code /ready} and
   * {@code /metrics} stay open.
   *
   * @param host the address to bind
   * @param port the port, 0 for an ephemeral one
   * @param state what the endpoints show
   * @param group the event loop group
   * @param token the admin token, or null for none
   * @return the running server
   */
  public static AdminServer start(
      String host, int port, AdminState state, EventLoopGroup group, String token) {
    requireNonNull(host, "host");
    requireNonNull(state, "state");
    requireNonNull(group, "group");
    if (port < 0 || port > 0xffff) {
      throw new IllegalArgumentException("admin port: " + port + " (expected: 0..65535)");
    }
    ThreadPoolExecutor worker =
        new ThreadPoolExecutor(
            1,
            1,
            0,
            TimeUnit.MILLISECONDS,
            new ArrayBlockingQueue<>(MAX_PENDING_REQUESTS),
            r -> {
              Thread t = new Thread(r, "plugmesh-admin");
              t.setDaemon(true);
              return t;
            },
            new ThreadPoolExecutor.AbortPolicy());
    ChannelGroup connections = new DefaultChannelGroup("admin", GlobalEventExecutor.INSTANCE);
    AdminHandler handler = new AdminHandler(state, worker, token);
    ServerBootstrap bootstrap =
        new ServerBootstrap()
            .group(group)
            .channel(serverChannelType(group))
            .childHandler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    connections.add(ch);
                    ch.pipeline()
                        .addLast(new IdleStateHandler(0, 0, IDLE_TIMEOUT_SECONDS, TimeUnit.SECONDS))
                        .addLast(
                            new HttpServerCodec(MAX_INITIAL_LINE_BYTES, MAX_HEADER_BYTES, 8192))
                        .addLast(new HttpServerKeepAliveHandler())
                        .addLast(new HttpObjectAggregator(MAX_REQUEST_BYTES))
                        .addLast(handler);
                  }
                });
    ChannelFuture bound = bootstrap.bind(new InetSocketAddress(host, port)).awaitUninterruptibly();
    if (!bound.isSuccess()) {
      worker.shutdownNow();
      throw new IllegalStateException(
          "admin: cannot listen on " + host + ":" + port + ": " + bound.cause(), bound.cause());
    }
    return new AdminServer(bound.channel(), connections, worker);
  }

  private static Class<? extends ServerChannel> serverChannelType(EventLoopGroup group) {
    if (group instanceof IoEventLoopGroup io && io.isIoType(EpollIoHandler.class)) {
      return EpollServerSocketChannel.class;
    }
    return NioServerSocketChannel.class;
  }

  /**
   * The port the server listens on (the bound one when 0 was asked).
   *
   * @return the port
   */
  public int port() {
    return ((InetSocketAddress) serverChannel.localAddress()).getPort();
  }

  /** Stops listening, closes open admin connections and stops the admin worker. */
  @Override
  public void close() {
    serverChannel.close().awaitUninterruptibly(CLOSE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    connections.close().awaitUninterruptibly(CLOSE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    worker.shutdownNow();
  }
}
