package io.plugmesh.kernel.tls;

import java.security.cert.Certificate;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/** Reads the mesh identity, the first {@code spiffe://} URI SAN, from certificates and sessions. */
public final class PeerIdentity {
  /** The scheme prefix of mesh identities. */
  public static final String SPIFFE_PREFIX = "spiffe://";

  /** The longest identity taken from a certificate; longer URIs are ignored. */
  public static final int MAX_IDENTITY_LENGTH = 2048;

  private static final int URI_NAME = 6;

  private PeerIdentity() {}

  /**
   * The identity of a certificate.
   *
   * @param certificate the certificate
   * @return its first {@code spiffe://} URI SAN, or null when it has none
   */
  public static String of(X509Certificate certificate) {
    try {
      Collection<List<?>> names = certificate.getSubjectAlternativeNames();
      if (names == null) {
        return null;
      }
      for (List<?> name : names) {
        if (name.size() >= 2
            && Integer.valueOf(URI_NAME).equals(name.get(0))
            && name.get(1) instanceof String uri
            && uri.startsWith(SPIFFE_PREFIX)
            && uri.length() <= MAX_IDENTITY_LENGTH) {
          return uri;
        }
      }
      return null;
    } catch (CertificateParsingException e) {
      return null;
    }
  }

  /**
   * The verified identity of the peer of a TLS session.
   *
   * @param session the session after the handshake
   * @return the identity of the peer's leaf certificate, or null when the peer sent no certificate
   *     or one without a {@code spiffe://} URI SAN
   */
  public static String peerOf(SSLSession session) {
    if (session == null) {
      return null;
    }
    try {
      Certificate[] chain = session.getPeerCertificates();
      return chain.length > 0 && chain[0] instanceof X509Certificate leaf ? of(leaf) : null;
    } catch (SSLPeerUnverifiedException e) {
      return null;
    }
  }

  /**
   * The identity this side presented in a TLS session.
   *
   * @param session the session after the handshake
   * @return the identity of the local leaf certificate, or null
   */
  public static String localOf(SSLSession session) {
    if (session == null) {
      return null;
    }
    Certificate[] chain = session.getLocalCertificates();
    return chain != null && chain.length > 0 && chain[0] instanceof X509Certificate leaf
        ? of(leaf)
        : null;
  }
}
