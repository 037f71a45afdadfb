package io.plugmesh.kernel.tls;

import static java.util.Objects.requireNonNull;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Verifies a server as the mesh does: its chain with the JDK's PKIX trust manager, without a host
 * name check, then its mesh identity (the leaf's {@code spiffe://} URI SAN, see {@link
 * PeerIdentity}) against the one expected. A client-side trust manager: it refuses to verify
 * clients.
 *
 * <p>The roots are fixed when the trust manager is made (a cluster's CA file, re-read with the TLS
 * context when it changes), or re-read from PEM files on every handshake (the control service's
 * bootstrap CA and the trust bundle received since, so a root rotation needs no restart).
 *
 * <p>The handshake (engine or socket) goes to the PKIX check, for its algorithm constraints, unless
 * it asks for a host name check: a client TLS stack that insists on one (gRPC does) gets the chain
 * checked without it, since the SPIFFE id identifies the server.
 */
public class SpiffeTrustManager extends X509ExtendedTrustManager {
  private static final X509Certificate[] NO_ISSUERS = new X509Certificate[0];

  private final Roots roots;
  private final String expected;
  private final String peer;

  /** Where the PKIX trust manager of one handshake comes from. */
  private interface Roots {
    X509ExtendedTrustManager pkix() throws CertificateException;

    X509Certificate[] acceptedIssuers();
  }

  /**
   * A trust manager over fixed roots; the TLS context it goes into turns host name checks off.
   *
   * @param pkix the PKIX trust manager of the roots
   * @param expected the server's identity, {@code spiffe://...}
   */
  SpiffeTrustManager(X509ExtendedTrustManager pkix, String expected) {
    this(fixed(requireNonNull(pkix, "pkix")), expected, "server");
  }

  /**
   * A trust manager whose roots are read from PEM files on every handshake; a missing file counts
   * as no roots, and no roots at all fail the handshake.
   *
   * @param rootFiles the PEM files of the trusted roots
   * @param expected the server's identity, {@code spiffe://...}
   * @param peer what the server is, for messages, e.g. {@code control service}
   */
  public SpiffeTrustManager(List<Path> rootFiles, String expected, String peer) {
    this(rereading(List.copyOf(rootFiles), peer), expected, peer);
  }

  private SpiffeTrustManager(Roots roots, String expected, String peer) {
    this.roots = roots;
    this.expected = requireNonNull(expected, "expected");
    this.peer = requireNonNull(peer, "peer");
  }

  private static Roots fixed(X509ExtendedTrustManager pkix) {
    return new Roots() {
      @Override
      public X509ExtendedTrustManager pkix() {
        return pkix;
      }

      @Override
      public X509Certificate[] acceptedIssuers() {
        return pkix.getAcceptedIssuers();
      }
    };
  }

  private static Roots rereading(List<Path> files, String peer) {
    return new Roots() {
      @Override
      public X509ExtendedTrustManager pkix() throws CertificateException {
        List<X509Certificate> found = new ArrayList<>();
        try {
          CertificateFactory factory = CertificateFactory.getInstance("X.509");
          for (Path file : files) {
            if (!Files.exists(file)) {
              continue;
            }
            for (Certificate c :
                factory.generateCertificates(new ByteArrayInputStream(Files.readAllBytes(file)))) {
              found.add((X509Certificate) c);
            }
          }
          if (found.isEmpty()) {
            throw new CertificateException(
                "no trusted roots for the " + peer + " in " + files + " (expected: PEM roots)");
          }
          return TlsContexts.pkix(found);
        } catch (IOException | GeneralSecurityException e) {
          if (e instanceof CertificateException ce) {
            throw ce;
          }
          throw new CertificateException("cannot read the " + peer + "'s roots: " + e, e);
        }
      }

      @Override
      public X509Certificate[] acceptedIssuers() {
        // Read per handshake; nothing to announce ahead of one.
        return NO_ISSUERS;
      }
    };
  }

  private void checkIdentity(X509Certificate[] chain) throws CertificateException {
    String actual = chain.length == 0 ? null : PeerIdentity.of(chain[0]);
    if (!expected.equals(actual)) {
      throw new CertificateException(
          peer
              + " identity "
              + (actual == null ? "none" : actual)
              + " (expected: "
              + expected
              + ")");
    }
  }

  private static boolean asksForHostNames(SSLParameters parameters) {
    String algorithm = parameters.getEndpointIdentificationAlgorithm();
    return algorithm != null && !algorithm.isEmpty();
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    X509ExtendedTrustManager pkix = roots.pkix();
    if (engine == null || asksForHostNames(engine.getSSLParameters())) {
      pkix.checkServerTrusted(chain, authType);
    } else {
      pkix.checkServerTrusted(chain, authType, engine);
    }
    checkIdentity(chain);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    X509ExtendedTrustManager pkix = roots.pkix();
    if (!(socket instanceof SSLSocket ssl) || asksForHostNames(ssl.getSSLParameters())) {
      pkix.checkServerTrusted(chain, authType);
    } else {
      pkix.checkServerTrusted(chain, authType, socket);
    }
    checkIdentity(chain);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    roots.pkix().checkServerTrusted(chain, authType);
    checkIdentity(chain);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    refuseClients();
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    refuseClients();
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    refuseClients();
  }

  private static void refuseClients() throws CertificateException {
    throw new CertificateException("a client-side trust manager does not verify clients");
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return roots.acceptedIssuers();
  }
}
