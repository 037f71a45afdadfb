package io.plugmesh.kernel.tls;

import io.plugmesh.meshca.Csr;
import io.plugmesh.meshca.Keys;
import io.plugmesh.meshca.MeshCa;
import io.plugmesh.meshca.Pem;
import io.plugmesh.meshca.SpiffeId;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;

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
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(
        client == null
            // Present the certificate even when the server asks for other issuers, as an
            // attacker would.
            ? null
            : new KeyManager[] {new Insistent(client)},
        tmf.getTrustManagers(),
        null);
    return ctx;
  }

  /** Offers its one certificate whatever issuers the server names. */
  private static final class Insistent extends X509ExtendedKeyManager {
    private final Issued issued;

    Insistent(Issued issued) {
      this.issued = issued;
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
      return new String[] {"me"};
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
      return "me";
    }

    @Override
    public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine e) {
      return "me";
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
      return null;
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
      return null;
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
      return new X509Certificate[] {issued.cert()};
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
      return issued.keys().getPrivate();
    }
  }
}
