package io.plugmesh.kernel.upstream;

import io.netty.channel.Channel;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.AttributeKey;
import io.plugmesh.filters.advanced.UpstreamException;
import io.plugmesh.kernel.tls.CertificateSource;
import io.plugmesh.kernel.tls.UpstreamTlsContexts;

/**
 * TLS on upstream connections: the handshake handler with a cluster's current certificate files,
 * and a stamp on each connection of the files it was made with, so a connection made with files
 * that have since been replaced is not reused.
 */
final class ConnectionTls {
  private static final AttributeKey<Stamp> STAMP = AttributeKey.valueOf("plugmesh.upstream.tls");

  /** The TLS files a connection was made with. */
  private record Stamp(CertificateSource source, long generation) {}

  private final UpstreamTlsContexts contexts;

  ConnectionTls(UpstreamTlsContexts contexts) {
    this.contexts = contexts;
  }

  /** The current TLS context of a TLS target; null for plaintext. */
  CertificateSource.Loaded current(UpstreamTarget target) throws UpstreamException {
    if (target.tls() == null) {
      return null;
    }
    CertificateSource source = contexts.get(target.tls(), target.protocol());
    if (source == null) {
      throw new UpstreamException(
          UpstreamException.Kind.CONNECT_FAILURE,
          "upstream connect error to " + target.address() + ": TLS files not loaded");
    }
    return source.current();
  }

  /** Adds the handshake first in a new connection's pipeline and stamps the connection. */
  void add(Channel c, UpstreamTarget target, CertificateSource.Loaded loaded) {
    SslHandler ssl = loaded.context().newHandler(c.alloc(), target.host(), target.port());
    ssl.setHandshakeTimeoutMillis(Math.max(1, target.connectTimeout().toMillis()));
    c.pipeline().addFirst("tls", ssl);
    c.attr(STAMP)
        .set(new Stamp(contexts.get(target.tls(), target.protocol()), loaded.generation()));
  }

  /** Whether a channel was made with TLS files that have been replaced since. */
  static boolean stale(Channel ch) {
    Stamp stamp = ch.attr(STAMP).get();
    return stamp != null && stamp.source().current().generation() != stamp.generation();
  }
}
