package io.plugmesh.kernel.proxy;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last handler of a downstream HTTP/1.1 connection or HTTP/2 stream: turns each request into an
 * {@link Exchange}, one at a time. Reads are explicit ({@code AUTO_READ} off): the next request is
 * read only after the previous response was written, so pipelined requests are answered in order
 * and a slow peer is never buffered for.
 */
public final class ProxyHandler extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(ProxyHandler.class);

  /** Hears when a request head starts and ends, for the request-headers timeout. */
  public interface HeadWatch {
    /** A request head arrived. */
    void headReceived();

    /** The connection waits for the next request head. */
    void awaitingHead();

    /** No watch. */
    HeadWatch NONE =
        new HeadWatch() {
          @Override
          public void headReceived() {}

          @Override
          public void awaitingHead() {}
        };
  }

  private final ListenerContext listener;
  private final boolean http2;
  private final String peerIdentity;
  private final HeadWatch headWatch;
  private ChannelHandlerContext ctx;
  private Downstream connection;
  private Exchange current;
  private InetSocketAddress client;
  private String clientIp;
  private boolean started;
  private boolean readPending;

  /**
   * Creates a handler for one connection (HTTP/1.1) or stream (HTTP/2).
   *
   * @param listener the listener
   * @param http2 whether this is an HTTP/2 stream
   * @param peerIdentity the verified mTLS peer identity, or null
   * @param headWatch hears head boundaries (HTTP/1.1)
   */
  public ProxyHandler(
      ListenerContext listener, boolean http2, String peerIdentity, HeadWatch headWatch) {
    this.listener = listener;
    this.http2 = http2;
    this.peerIdentity = peerIdentity;
    this.headWatch = headWatch;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    this.connection = Downstream.of(ctx.channel());
    if (ctx.channel().isActive()) {
      start();
    }
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    start();
    ctx.fireChannelActive();
  }

  private void start() {
    if (!started) {
      started = true;
      read();
    }
  }

  /**
   * Asks for the next inbound message. A read cycle that ends without a message (a partial head or
   * chunk) satisfies the read, so the handler asks again until a message arrives.
   */
  void read() {
    readPending = true;
    ctx.read();
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    if (readPending && ctx.channel().isActive()) {
      ctx.read();
    }
    ctx.fireChannelReadComplete();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    readPending = false;
    if (msg instanceof HttpRequest request) {
      headWatch.headReceived();
      if (current != null) {
        ReferenceCountUtil.release(msg);
        ctx.close();
        return;
      }
      current = new Exchange(this, listener, ctx, http2, clientAddress(), peerIdentity);
      if (connection != null) {
        connection.exchangeStarted();
      }
      current.start(request);
      return;
    }
    if (msg instanceof HttpContent content && current != null) {
      current.onRequestContent(content);
      return;
    }
    ReferenceCountUtil.release(msg);
  }

  private InetSocketAddress clientAddress() {
    if (client == null) {
      java.net.SocketAddress address =
          http2 && ctx.channel().parent() != null
              ? ctx.channel().parent().remoteAddress()
              : ctx.channel().remoteAddress();
      client =
          address instanceof InetSocketAddress inet
              ? inet
              : InetSocketAddress.createUnresolved("0.0.0.0", 0);
    }
    return client;
  }

  /** The client's IP as text for {@code x-forwarded-for}, formatted once per connection. */
  String clientIp() {
    if (clientIp == null) {
      InetSocketAddress c = clientAddress();
      clientIp = c.getAddress() == null ? c.getHostString() : c.getAddress().getHostAddress();
    }
    return clientIp;
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (current != null) {
      Exchange ended = current;
      current = null;
      ended.onDownstreamClosed();
      exchangeEnded();
    }
    ctx.fireChannelInactive();
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof IdleStateEvent && current == null) {
      ctx.close();
      return;
    }
    ReferenceCountUtil.release(evt);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    log.debug("downstream {} failed: {}", ctx.channel(), cause.toString());
    ctx.close();
  }

  /**
   * Whether the connection closes after the exchange in flight (the proxy drains): its HTTP/1.1
   * response says {@code Connection: close}.
   */
  boolean closing() {
    return connection != null && connection.closing();
  }

  private void exchangeEnded() {
    if (connection != null) {
      connection.exchangeEnded();
    }
  }

  /** Called by the exchange when its response is fully written (or abandoned). */
  void exchangeDone(Exchange exchange, boolean keepAlive) {
    if (current != exchange) {
      return;
    }
    current = null;
    exchangeEnded();
    if (http2 || !keepAlive || closing() || !ctx.channel().isActive()) {
      ctx.close();
      return;
    }
    headWatch.awaitingHead();
    read();
  }
}
