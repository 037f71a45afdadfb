package io.plugmesh.plugins.rbac;

import static org.assertj.core.api.Assertions.assertThat;

import io.plugmesh.kernel.testing.KernelFixture;
import io.plugmesh.kernel.testing.TestUpstream;
import io.plugmesh.meshca.Csr;
import io.plugmesh.meshca.Keys;
import io.plugmesh.meshca.MeshCa;
import io.plugmesh.meshca.Pem;
import io.plugmesh.meshca.SpiffeId;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * rbac on the mTLS peer identity through a real listener: clients holding mesh CA certificates for
 * two service accounts call a strict mTLS listener whose route allows only one of them.
 */
class RbacPeerIdentityIT {
  static final String TRUST_DOMAIN = "mesh.test";
  static final Duration TTL = Duration.ofHours(1);
  static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);
  static final char[] STORE_PASSWORD = "test".toCharArray();

  static final SpiffeId SERVER = SpiffeId.of(TRUST_DOMAIN, "default", "reviews");
  static final SpiffeId FRONTEND = SpiffeId.of(TRUST_DOMAIN, "default", "frontend");
  static final SpiffeId INTRUDER = SpiffeId.of(TRUST_DOMAIN, "default", "intruder");

  @TempDir Path dir;

  TestUpstream app;
  KernelFixture proxy;

  @AfterEach
  void stop() {
    if (proxy != null) {
      proxy.close();
    }
    if (app != null) {
      app.close();
    }
  }

  /** A workload's key and certificate signed by the mesh CA. */
  record Issued(KeyPair keys, X509Certificate cert) {}

  static Issued issue(MeshCa ca, SpiffeId id) {
    KeyPair keys = Keys.generate();
    return new Issued(keys, ca.sign(Csr.create(keys, id), id, TTL));
  }

  @Test
  void aPeerRuleAllowsOneServiceAndDeniesAnother() throws Exception {
    MeshCa ca = MeshCa.generateRoot(TRUST_DOMAIN, Duration.ofDays(1));
    Issued server = issue(ca, SERVER);
    Path cert = dir.resolve("server.pem");
    Path key = dir.resolve("server-key.pem");
    Path bundle = dir.resolve("ca.pem");
    Files.writeString(cert, Pem.certificate(server.cert()), StandardCharsets.US_ASCII);
    Files.writeString(key, Pem.privateKey(server.keys().getPrivate()), StandardCharsets.US_ASCII);
    Files.writeString(bundle, ca.certificatePem(), StandardCharsets.US_ASCII);

    app = TestUpstream.http1("app");
    proxy =
        KernelFixture.start(
            """
            listeners:
              - name: inbound
                address: 127.0.0.1:0
                tls: {certificateFile: "%s", privateKeyFile: "%s", clientCaFile: "%s", mode: strict}
            clusters:
              - {name: app, endpoints: [{address: %s}]}
            routes:
              - name: reviews
                match: {pathPrefix: /}
                cluster: app
                plugins:
                  - name: rbac
                    config: {rules: [{name: frontend-only, allow: {peers: ["%s"]}}]}
            """
                .formatted(cert, key, bundle, app.address(), FRONTEND.uri()),
            new RbacFilterFactory());

    HttpResponse<String> allowed = call(client(issue(ca, FRONTEND), ca));

    assertThat(allowed.statusCode()).isEqualTo(200);
    assertThat(app.requests()).isEqualTo(1);
    assertThat(app.last().header("x-forwarded-client-cert"))
        .isEqualTo("By=" + SERVER.uri() + ";URI=" + FRONTEND.uri());

    HttpResponse<String> denied = call(client(issue(ca, INTRUDER), ca));

    assertThat(denied.statusCode()).isEqualTo(403);
    assertThat(denied.body()).contains("no rbac rule allows this request");
    assertThat(app.requests()).as("the intruder's request never reaches the upstream").isEqualTo(1);
  }

  HttpResponse<String> call(HttpClient client) throws Exception {
    return client.send(
        HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + proxy.port("inbound") + "/echo"))
            .timeout(REQUEST_TIMEOUT)
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** An HTTP/1.1 client presenting {@code me} and accepting only {@link #SERVER} under the root. */
  static HttpClient client(Issued me, MeshCa root) throws Exception {
    KeyStore keys = KeyStore.getInstance("PKCS12");
    keys.load(null, null);
    keys.setKeyEntry(
        "workload",
        me.keys().getPrivate(),
        STORE_PASSWORD,
        new X509Certificate[] {me.cert(), root.certificate()});
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(keys, STORE_PASSWORD);

    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("root", root.certificate());
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    X509ExtendedTrustManager pkix = (X509ExtendedTrustManager) tmf.getTrustManagers()[0];

    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf.getKeyManagers(), new TrustManager[] {new SpiffeServerTrust(pkix, SERVER)}, null);
    return HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(REQUEST_TIMEOUT)
        .sslContext(ctx)
        .build();
  }

  /**
   * Verifies the server chain against the mesh root and its SPIFFE URI instead of a host name (mesh
   * certificates carry no DNS or IP names).
   */
  static final class SpiffeServerTrust extends X509ExtendedTrustManager {
    private static final int SAN_URI = 6;
    private final X509ExtendedTrustManager pkix;
    private final SpiffeId expected;

    SpiffeServerTrust(X509ExtendedTrustManager pkix, SpiffeId expected) {
      this.pkix = pkix;
      this.expected = expected;
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType)
        throws CertificateException {
      pkix.checkServerTrusted(chain, authType);
      Collection<List<?>> names = chain[0].getSubjectAlternativeNames();
      boolean match =
          names != null
              && names.stream()
                  .anyMatch(n -> (Integer) n.get(0) == SAN_URI && expected.uri().equals(n.get(1)));
      if (!match) {
        throw new CertificateException(
            "server certificate names " + names + " (expected URI " + expected.uri() + ")");
      }
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      checkServerTrusted(chain, authType);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      checkServerTrusted(chain, authType);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType)
        throws CertificateException {
      throw new CertificateException("client-side trust manager: no client certificates");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      checkClientTrusted(chain, authType);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      checkClientTrusted(chain, authType);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return pkix.getAcceptedIssuers();
    }
  }
}
