package io.plugmesh.kernel.listener;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.AsciiString;

/**
 * Tells the upstream who called: removes any {@code x-forwarded-client-cert} a client sent (always,
 * on every listener, so it cannot be forged) and, on a connection whose client presented a verified
 * mesh certificate, sets it to {@code By=<this proxy's identity>;URI=<the caller's identity>}, as
 * Istio does.
 */
@ChannelHandler.Sharable
final class ClientCertHeader extends ChannelInboundHandlerAdapter {
  /** The header name. */
  static final String NAME = "x-forwarded-client-cert";

  // An AsciiString name hashes once; a String name is hashed again on every header lookup.
  private static final AsciiString HEADER = AsciiString.cached(NAME);

  /** The handler of connections without a verified client identity: it only strips. */
  static final ClientCertHeader STRIP_ONLY = new ClientCertHeader(null, null);

  private final String value;

  private ClientCertHeader(String local, String peer) {
    this.value = peer == null ? null : (local == null ? "" : "By=" + local + ";") + "URI=" + peer;
  }

  static ClientCertHeader of(String local, String peer) {
    return peer == null ? STRIP_ONLY : new ClientCertHeader(local, peer);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof HttpRequest request) {
      request.headers().remove(HEADER);
      if (value != null) {
        request.headers().set(HEADER, value);
      }
    }
    ctx.fireChannelRead(msg);
  }
}
