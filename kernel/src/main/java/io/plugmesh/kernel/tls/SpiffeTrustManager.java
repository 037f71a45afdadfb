package io.plugmesh.kernel.tls;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Verifies a server chain with the JDK's PKIX trust manager, then requires the leaf's {@code
 * spiffe://} identity to equal the expected one (instead of a DNS host name check).
 */
final class SpiffeTrustManager extends X509ExtendedTrustManager {
  private final X509ExtendedTrustManager delegate;
  private final String expected;

  SpiffeTrustManager(X509ExtendedTrustManager delegate, String expected) {
    this.delegate = delegate;
    this.expected = expected;
  }

  private void checkIdentity(X509Certificate[] chain) throws CertificateException {
    String actual = chain.length == 0 ? null : PeerIdentity.of(chain[0]);
    if (!expected.equals(actual)) {
      throw new CertificateException(
          "server identity "
              + (actual == null ? "none" : actual)
              + " (expected: "
              + expected
              + ")");
    }
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    delegate.checkServerTrusted(chain, authType, engine);
    checkIdentity(chain);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    delegate.checkServerTrusted(chain, authType, socket);
    checkIdentity(chain);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    delegate.checkServerTrusted(chain, authType);
    checkIdentity(chain);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    throw new CertificateException("a client-side trust manager does not verify clients");
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    throw new CertificateException("a client-side trust manager does not verify clients");
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    throw new CertificateException("a client-side trust manager does not verify clients");
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return delegate.getAcceptedIssuers();
  }
}
