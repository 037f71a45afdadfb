package io.plugmesh.kernel.listener;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;

/**
 * Tells a TLS connection from a plaintext one on a permissive port by the first byte (a TLS record
 * carrying a ClientHello starts with 0x16, which no HTTP method or the h2c preface does), installs
 * TLS when it sees one, and steps aside; the bytes read so far go on to the next handler.
 */
final class TlsSniffer extends ByteToMessageDecoder {
  /** The TLS record type of a handshake message. */
  static final short TLS_HANDSHAKE_RECORD = 0x16;

  /** Installs the TLS handlers after the sniffer. */
  interface Tls {
    void install(ChannelHandlerContext ctx);
  }

  private final Tls tls;

  TlsSniffer(Tls tls) {
    this.tls = tls;
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    if (!in.isReadable()) {
      return;
    }
    if (in.getUnsignedByte(in.readerIndex()) == TLS_HANDSHAKE_RECORD) {
      tls.install(ctx);
    }
    ctx.pipeline().remove(this);
  }
}
