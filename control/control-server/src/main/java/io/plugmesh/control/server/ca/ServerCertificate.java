package io.plugmesh.control.server.ca;

import static java.util.Objects.requireNonNull;

import io.plugmesh.meshca.Csr;
import io.plugmesh.meshca.Keys;
import io.plugmesh.meshca.SpiffeId;
import java.net.Socket;
import java.security.KeyPair;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * The control API's own TLS certificate, issued by the mesh CA for {@link #CONTROL_NAMESPACE}/
 * {@link #CONTROL_SERVICE} and re-issued on a handshake once half its lifetime has passed or
 * another root signs. Proxies verify it with their trust bundle and that SPIFFE id (not a host
 * name).
 */
public final class ServerCertificate extends X509ExtendedKeyManager {
  /** The namespace of the control service's identity. */
  public static final String CONTROL_NAMESPACE = "plugmesh";

  /** The service of the control service's identity. */
  public static final String CONTROL_SERVICE = "control";

  /** How long the control API certificate is valid: 24 h. */
  public static final Duration TTL = Duration.ofHours(24);

  private static final String ALIAS = "control";

  /** One issued certificate. */
  private record Issued(PrivateKey key, X509Certificate[] chain, X509Certificate root) {}

  private final CertificateAuthority ca;
  private volatile Issued issued;

  /**
   * Creates the key manager and issues the first certificate.
   *
   * @param ca the mesh CA
   */
  public ServerCertificate(CertificateAuthority ca) {
    this.ca = requireNonNull(ca, "ca");
    this.issued = issue();
  }

  /**
   * The control service's SPIFFE id in a trust domain.
   *
   * @param trustDomain the trust domain
   * @return {@code spiffe://<td>/ns/plugmesh/sa/control}
   */
  public static SpiffeId identity(String trustDomain) {
    return SpiffeId.of(trustDomain, CONTROL_NAMESPACE, CONTROL_SERVICE);
  }

  private Issued issue() {
    KeyPair keys = Keys.generate();
    SpiffeId id = identity(ca.trustDomain());
    X509Certificate root = ca.signingRoot();
    Duration ttl = TTL;
    X509Certificate cert = ca.signAs(Csr.create(keys, id).pem(), id, ttl);
    return new Issued(keys.getPrivate(), new X509Certificate[] {cert}, root);
  }

  private Issued current() {
    Issued now = issued;
    Instant notBefore = now.chain()[0].getNotBefore().toInstant();
    Instant notAfter = now.chain()[0].getNotAfter().toInstant();
    Instant half = notBefore.plus(Duration.between(notBefore, notAfter).dividedBy(2));
    if (Instant.now().isAfter(half) || !now.root().equals(ca.signingRoot())) {
      synchronized (this) {
        if (issued == now) {
          issued = issue();
        }
        return issued;
      }
    }
    return now;
  }

  /**
   * The certificate presented now.
   *
   * @return the leaf
   */
  public X509Certificate certificate() {
    return current().chain()[0];
  }

  @Override
  public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
    return ALIAS;
  }

  @Override
  public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
    return ALIAS;
  }

  @Override
  public X509Certificate[] getCertificateChain(String alias) {
    return ALIAS.equals(alias) ? current().chain().clone() : null;
  }

  @Override
  public PrivateKey getPrivateKey(String alias) {
    return ALIAS.equals(alias) ? current().key() : null;
  }

  @Override
  public String[] getServerAliases(String keyType, Principal[] issuers) {
    return new String[] {ALIAS};
  }

  @Override
  public String[] getClientAliases(String keyType, Principal[] issuers) {
    return new String[0];
  }

  @Override
  public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
    return null;
  }
}
