package io.plugmesh.kernel.upstream;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInboundHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.Promise;
import io.plugmesh.filters.advanced.UpstreamException;
import io.plugmesh.kernel.cluster.ClusterHealth;
import io.plugmesh.kernel.tls.CertificateSource;
import java.util.ArrayDeque;

/**
 * Pooled keep-alive HTTP/1.1 connections to one endpoint on one event loop, each with a permanent
 * {@link Http1Dispatcher} that passes its events to the attempt it is lent to. New connections
 * count against the target's {@code maxConnections} and the cluster's circuit breaker; a connection
 * made with TLS files that have since been replaced is closed instead of reused. Touched only from
 * its loop.
 */
final class Http1Pool {
  /** The name of the dispatcher in each connection's pipeline. */
  private static final String DISPATCHER = "plugmesh-dispatcher";

  private final UpstreamConnector connector;
  private final EventLoop loop;
  private final ArrayDeque<Http1Dispatcher> idle = new ArrayDeque<>();
  private final boolean tls;
  private int open;

  Http1Pool(UpstreamConnector connector, EventLoop loop, boolean tls) {
    this.connector = connector;
    this.loop = loop;
    this.tls = tls;
  }

  void acquire(UpstreamTarget target, Promise<UpstreamChannel> promise) {
    Http1Dispatcher pooled;
    while ((pooled = idle.pollFirst()) != null) {
      Channel ch = pooled.channel;
      if (ch.isActive() && tls && ConnectionTls.stale(ch)) {
        ch.close();
      } else if (ch.isActive()) {
        pooled.inPool = false;
        promise.setSuccess(new Lent(ch, pooled, true));
        return;
      }
    }
    if (open >= target.maxConnections()) {
      promise.setFailure(
          new UpstreamException(
              UpstreamException.Kind.OVERFLOW,
              "upstream "
                  + target.address()
                  + ": "
                  + open
                  + " connections in use (maxConnectionsPerEndpoint)"));
      return;
    }
    CertificateSource.Loaded loaded;
    try {
      loaded = connector.connectionTls().current(target);
    } catch (UpstreamException e) {
      promise.setFailure(e);
      return;
    }
    ClusterHealth breaker = target.health();
    if (breaker != null && !breaker.tryOpenConnection()) {
      promise.setFailure(
          new UpstreamException(
              UpstreamException.Kind.OVERFLOW,
              "cluster '"
                  + breaker.name()
                  + "' circuit breaker open (maxConnections "
                  + breaker.maxConnections()
                  + ")"));
      return;
    }
    open++;
    Http1Dispatcher dispatcher = new Http1Dispatcher();
    ChannelFuture connect =
        connector
            .bootstrap(loop, target)
            .handler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel c) {
                    dispatcher.channel = c;
                    c.pipeline()
                        .addLast(
                            "codec",
                            new HttpClientCodec(
                                new HttpDecoderConfig()
                                    .setMaxInitialLineLength(
                                        UpstreamConnector.MAX_RESPONSE_HEADER_BYTES)
                                    .setMaxHeaderSize(UpstreamConnector.MAX_RESPONSE_HEADER_BYTES)
                                    .setMaxChunkSize(UpstreamConnector.MAX_CHUNK_BYTES),
                                false,
                                false))
                        .addLast("idle", UpstreamConnector.idleHandler(target))
                        .addLast(DISPATCHER, dispatcher);
                    if (loaded != null) {
                      connector.connectionTls().add(c, target, loaded);
                    }
                  }
                })
            .connect(target.host(), target.port());
    connect
        .channel()
        .closeFuture()
        .addListener(
            f -> {
              open--;
              idle.remove(dispatcher);
              if (breaker != null) {
                breaker.connectionClosed();
              }
            });
    connect.addListener(
        f -> {
          if (!f.isSuccess()) {
            promise.setFailure(UpstreamConnector.connectFailure(target, f.cause()));
          } else if (loaded == null) {
            promise.setSuccess(new Lent(connect.channel(), dispatcher, false));
          } else {
            SslHandler ssl = connect.channel().pipeline().get(SslHandler.class);
            ssl.handshakeFuture()
                .addListener(
                    h -> {
                      if (h.isSuccess()) {
                        promise.setSuccess(new Lent(connect.channel(), dispatcher, false));
                      } else {
                        connect.channel().close();
                        promise.setFailure(UpstreamConnector.connectFailure(target, h.cause()));
                      }
                    });
            // The handshake needs reads; the channel does not read on its own.
            connect.channel().read();
          }
        });
  }

  void closeIdle() {
    Http1Dispatcher pooled;
    while ((pooled = idle.pollFirst()) != null) {
      pooled.channel.close();
    }
  }

  /** A pooled connection lent to one attempt. */
  private final class Lent implements UpstreamChannel {
    private final Channel channel;
    private final Http1Dispatcher dispatcher;
    private final boolean reused;
    private boolean released;

    Lent(Channel channel, Http1Dispatcher dispatcher, boolean reused) {
      this.channel = channel;
      this.dispatcher = dispatcher;
      this.reused = reused;
    }

    @Override
    public void attach(ChannelInboundHandler handler) {
      if (!released) {
        dispatcher.attempt = handler;
      }
    }

    @Override
    public Channel channel() {
      return channel;
    }

    @Override
    public boolean reused() {
      return reused;
    }

    @Override
    public void release(boolean reusable) {
      if (released) {
        return;
      }
      released = true;
      dispatcher.attempt = null;
      if (reusable && channel.isActive() && !(tls && ConnectionTls.stale(channel))) {
        dispatcher.inPool = true;
        idle.addFirst(dispatcher);
        // Read while idle so a close by the upstream is noticed; the dispatcher drops stray
        // bytes.
        channel.read();
      } else {
        channel.close();
      }
    }
  }
}
