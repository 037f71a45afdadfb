package io.plugmesh.kernel.control;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * Verifies the control API's certificate: it must chain to a root of the bootstrap CA file or of
 * the trust bundle received since (both re-read on every handshake, so root rotation needs no
 * restart), and hold the control service's SPIFFE id; host names are not checked.
 */
final class ControlTrust extends X509ExtendedTrustManager {
  private final List<Path> bundles;
  private final String expected;

  ControlTrust(List<Path> bundles, String expected) {
    this.bundles = List.copyOf(bundles);
    this.expected = expected;
  }

  private X509TrustManager pkix() throws CertificateException {
    try {
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      int n = 0;
      CertificateFactory factory = CertificateFactory.getInstance("X.509");
      for (Path file : bundles) {
        if (!Files.exists(file)) {
          continue;
        }
        Collection<? extends Certificate> certs =
            factory.generateCertificates(new ByteArrayInputStream(Files.readAllBytes(file)));
        for (Certificate c : certs) {
          store.setCertificateEntry("root-" + n++, c);
        }
      }
      if (n == 0) {
        throw new CertificateException(
            "no trusted roots for the control service in " + bundles + " (expected: PEM roots)");
      }
      TrustManagerFactory tmf =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(store);
      for (TrustManager tm : tmf.getTrustManagers()) {
        if (tm instanceof X509TrustManager x) {
          return x;
        }
      }
      throw new CertificateException("no X.509 trust manager");
    } catch (IOException | GeneralSecurityException e) {
      if (e instanceof CertificateException ce) {
        throw ce;
      }
      throw new CertificateException("cannot read the control service's roots: " + e, e);
    }
  }

  private void check(X509Certificate[] chain, String authType) throws CertificateException {
    // The chain check without host name identification: the SPIFFE id identifies the server.
    pkix().checkServerTrusted(chain, authType);
    List<String> uris = new ArrayList<>();
    Collection<List<?>> sans = chain[0].getSubjectAlternativeNames();
    if (sans != null) {
      for (List<?> san : sans) {
        if (Integer.valueOf(6).equals(san.get(0))) {
          uris.add(String.valueOf(san.get(1)));
        }
      }
    }
    if (!uris.equals(List.of(expected))) {
      throw new CertificateException(
          "control service identity " + uris + " (expected: " + expected + ")");
    }
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    check(chain, authType);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    check(chain, authType);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    check(chain, authType);
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
    return new X509Certificate[0];
  }
}
