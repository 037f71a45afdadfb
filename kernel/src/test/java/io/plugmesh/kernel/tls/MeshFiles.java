package io.plugmesh.kernel.tls;

import io.plugmesh.meshca.Csr;
import io.plugmesh.meshca.Keys;
import io.plugmesh.meshca.MeshCa;
import io.plugmesh.meshca.Pem;
import io.plugmesh.meshca.SpiffeId;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/** Workload certificate, key and bundle files made by a mesh CA, replaced atomically. */
final class MeshFiles {
  static final String TRUST_DOMAIN = "mesh.test";

  private MeshFiles() {}

  static SpiffeId id(String serviceAccount) {
    return SpiffeId.of(TRUST_DOMAIN, "shop", serviceAccount);
  }

  /** An issued workload certificate and its key. */
  record Issued(KeyPair keys, X509Certificate cert) {}

  static Issued issue(MeshCa ca, SpiffeId id, Duration ttl) {
    KeyPair keys = Keys.generate();
    return new Issued(keys, ca.sign(Csr.create(keys, id), id, ttl));
  }

  /** Writes the key first, then the certificate, each by an atomic rename. */
  static Issued write(MeshCa ca, SpiffeId id, Duration ttl, Path cert, Path key)
      throws IOException {
    Issued issued = issue(ca, id, ttl);
    replace(key, Pem.privateKey(issued.keys().getPrivate()));
    replace(cert, Pem.certificate(issued.cert()));
    return issued;
  }

  static void bundle(Path file, MeshCa... roots) throws IOException {
    StringBuilder b = new StringBuilder();
    for (MeshCa ca : roots) {
      b.append(ca.certificatePem());
    }
    replace(file, b.toString());
  }

  static void replace(Path file, String text) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.writeString(tmp, text, StandardCharsets.US_ASCII);
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /** A JDK client context presenting {@code client} (or nothing) and trusting {@code roots}. */
  static SSLContext clientContext(Issued client, MeshCa... roots) throws Exception {
    KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
    trust.load(null, null);
    for (int i = 0; i < roots.length; i++) {
      trust.setCertificateEntry("root" + i, roots[i].certificate());
    }
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    KeyManagerFactory kmf = null;
    if (client != null) {
      KeyStore keys = KeyStore.getInstance(KeyStore.getDefaultType());
      keys.load(null, null);
      keys.setKeyEntry(
          "me", client.keys().getPrivate(), new char[0], new X509Certificate[] {client.cert()});
      kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(keys, new char[0]);
    }
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
    return ctx;
  }
}
