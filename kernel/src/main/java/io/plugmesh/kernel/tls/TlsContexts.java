package io.plugmesh.kernel.tls;

import static java.util.Objects.requireNonNull;

import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.plugmesh.config.TlsConfig;
import io.plugmesh.config.TlsMode;
import io.plugmesh.config.UpstreamProtocol;
import io.plugmesh.config.UpstreamTlsConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/** Builds the reloading server and client {@link SslContext}s of listeners and clusters. */
public final class TlsContexts {
  /** The endpoint identification used when a cluster names no mesh identity. */
  static final String HTTPS_IDENTIFICATION = "HTTPS";

  private TlsContexts() {}

  /**
   * A listener's context: its certificate, ALPN h2 and http/1.1, and when a client CA is set,
   * client certificates required (strict) or optional (permissive) and verified against it.
   *
   * @param listener the listener name, for messages
   * @param tls the listener's TLS; its mode must not be off
   * @return a source that reloads the files when they change
   * @throws IOException when a file cannot be read or the key does not match the certificate
   */
  public static CertificateSource server(String listener, TlsConfig tls) throws IOException {
    requireNonNull(tls, "tls");
    if (tls.mode() == TlsMode.OFF) {
      throw new IllegalArgumentException("listener '" + listener + "': TLS mode is off");
    }
    Path cert = Path.of(tls.certificateFile());
    Path key = Path.of(tls.privateKeyFile());
    Path clientCa = tls.clientCaFile() == null ? null : Path.of(tls.clientCaFile());
    List<Path> files = new ArrayList<>(List.of(cert, key));
    if (clientCa != null) {
      files.add(clientCa);
    }
    return CertificateSource.start(
        "listener '" + listener + "'",
        files,
        () -> {
          List<X509Certificate> chain = TlsFiles.certificates(cert, "certificateFile");
          PrivateKey privateKey = TlsFiles.privateKey(key, "privateKeyFile");
          TlsFiles.checkPair(privateKey, chain.get(0), key);
          SslContextBuilder b =
              SslContextBuilder.forServer(privateKey, chain)
                  .applicationProtocolConfig(
                      new ApplicationProtocolConfig(
                          ApplicationProtocolConfig.Protocol.ALPN,
                          ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                          ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                          ApplicationProtocolNames.HTTP_2,
                          ApplicationProtocolNames.HTTP_1_1));
          if (clientCa != null) {
            b.trustManager(TlsFiles.certificates(clientCa, "clientCaFile"))
                .clientAuth(
                    tls.mode() == TlsMode.STRICT ? ClientAuth.REQUIRE : ClientAuth.OPTIONAL);
          }
          return new CertificateSource.Built(b.build(), PeerIdentity.of(chain.get(0)));
        });
  }

  /**
   * A cluster's client context: the client certificate when set, the server chain verified against
   * the CA file (or the JDK's trust store), the server identity or host name checked, and ALPN h2
   * for HTTP/2 clusters or http/1.1 otherwise.
   *
   * @param cluster the cluster name, for messages
   * @param tls the cluster's TLS
   * @param protocol the cluster's protocol
   * @return a source that reloads the files when they change
   * @throws IOException when a file cannot be read or the key does not match the certificate
   */
  public static CertificateSource client(
      String cluster, UpstreamTlsConfig tls, UpstreamProtocol protocol) throws IOException {
    requireNonNull(tls, "tls");
    List<Path> files = new ArrayList<>();
    Path cert = tls.certificateFile() == null ? null : Path.of(tls.certificateFile());
    Path key = tls.privateKeyFile() == null ? null : Path.of(tls.privateKeyFile());
    Path ca = tls.caFile() == null ? null : Path.of(tls.caFile());
    for (Path p : new Path[] {cert, key, ca}) {
      if (p != null) {
        files.add(p);
      }
    }
    String alpn =
        protocol == UpstreamProtocol.HTTP2
            ? ApplicationProtocolNames.HTTP_2
            : ApplicationProtocolNames.HTTP_1_1;
    return CertificateSource.start(
        "cluster '" + cluster + "'",
        files,
        () -> {
          SslContextBuilder b =
              SslContextBuilder.forClient()
                  .applicationProtocolConfig(
                      new ApplicationProtocolConfig(
                          ApplicationProtocolConfig.Protocol.ALPN,
                          ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                          ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                          alpn));
          String identity = null;
          if (cert != null && key != null) {
            List<X509Certificate> chain = TlsFiles.certificates(cert, "certificateFile");
            PrivateKey privateKey = TlsFiles.privateKey(key, "privateKeyFile");
            TlsFiles.checkPair(privateKey, chain.get(0), key);
            b.keyManager(privateKey, chain);
            identity = PeerIdentity.of(chain.get(0));
          }
          X509ExtendedTrustManager pkix =
              pkix(ca == null ? null : TlsFiles.certificates(ca, "caFile"));
          if (tls.serverIdentity() != null) {
            b.trustManager(new SpiffeTrustManager(pkix, tls.serverIdentity()))
                .endpointIdentificationAlgorithm(null);
          } else {
            b.trustManager(pkix).endpointIdentificationAlgorithm(HTTPS_IDENTIFICATION);
          }
          return new CertificateSource.Built(b.build(), identity);
        });
  }

  /** The JDK's PKIX trust manager over {@code roots}, or over the JDK's own roots when null. */
  static X509ExtendedTrustManager pkix(List<X509Certificate> roots) throws IOException {
    try {
      TrustManagerFactory tmf =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      if (roots == null) {
        tmf.init((KeyStore) null);
      } else {
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        for (int i = 0; i < roots.size(); i++) {
          store.setCertificateEntry("root-" + i, roots.get(i));
        }
        tmf.init(store);
      }
      for (TrustManager tm : tmf.getTrustManagers()) {
        if (tm instanceof X509ExtendedTrustManager x509) {
          return x509;
        }
      }
      throw new IOException("the JDK offers no X.509 trust manager");
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot build a trust manager: " + e.getMessage(), e);
    }
  }
}
