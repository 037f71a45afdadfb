package io.plugmesh.meshca;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.security.KeyPair;
import java.security.PublicKey;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/**
 * A PKCS#10 certificate signing request for one workload identity. The proxy creates it with its
 * own key pair and sends only the request; the private key never leaves the proxy.
 *
 * <pre>{@code
 * KeyPair keys = Keys.generate();
 * String pem = Csr.create(keys, SpiffeId.of("mesh.local", "shop", "reviews")).pem();
 * }</pre>
 */
public final class Csr {
  /** The largest DER request accepted (bytes). */
  public static final int MAX_DER_BYTES = 16 * 1024;

  private final PKCS10CertificationRequest request;

  private Csr(PKCS10CertificationRequest request) {
    this.request = request;
  }

  /**
   * Creates a request with an empty subject and the identity as its only subject alternative name,
   * signed with the key pair's private key.
   *
   * @param keys the proxy's key pair
   * @param identity the identity to ask for
   * @return the request
   */
  public static Csr create(KeyPair keys, SpiffeId identity) {
    requireNonNull(keys, "keys");
    requireNonNull(identity, "identity");
    try {
      ExtensionsGenerator extensions = new ExtensionsGenerator();
      extensions.addExtension(
          Extension.subjectAlternativeName,
          false,
          new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, identity.uri())));
      PKCS10CertificationRequest request =
          new JcaPKCS10CertificationRequestBuilder(
                  new X500Name(new org.bouncycastle.asn1.x500.RDN[0]), keys.getPublic())
              .addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, extensions.generate())
              .build(
                  new JcaContentSignerBuilder(Keys.signatureAlgorithm(keys.getPrivate()))
                      .build(keys.getPrivate()));
      return new Csr(request);
    } catch (IOException | OperatorCreationException e) {
      throw new IllegalStateException("cannot build a certificate request: " + e.getMessage(), e);
    }
  }

  /**
   * Reads a PEM {@code CERTIFICATE REQUEST}.
   *
   * @param pem the text
   * @return the request (not yet verified: {@link MeshCa#sign} verifies)
   * @throws CsrRejectedException when malformed
   */
  public static Csr parse(String pem) {
    return new Csr(Pem.readCsr(pem));
  }

  /**
   * Reads a DER request.
   *
   * @param der the bytes
   * @return the request (not yet verified: {@link MeshCa#sign} verifies)
   * @throws CsrRejectedException when malformed or larger than {@link #MAX_DER_BYTES}
   */
  public static Csr parse(byte[] der) {
    requireNonNull(der, "der");
    if (der.length > MAX_DER_BYTES) {
      throw new CsrRejectedException(
          "certificate request of "
              + der.length
              + " bytes (expected: at most "
              + MAX_DER_BYTES
              + ")");
    }
    try {
      return new Csr(new PKCS10CertificationRequest(der));
    } catch (IOException | RuntimeException e) {
      throw new CsrRejectedException("malformed DER certificate request: " + e.getMessage());
    }
  }

  /**
   * The DER encoding.
   *
   * @return a fresh copy of the bytes
   */
  public byte[] der() {
    try {
      return request.getEncoded();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * The PEM encoding.
   *
   * @return the {@code CERTIFICATE REQUEST} block
   */
  public String pem() {
    return Pem.csr(der());
  }

  /**
   * The public key the request carries.
   *
   * @return the key
   * @throws CsrRejectedException when the key cannot be decoded
   */
  public PublicKey publicKey() {
    try {
      return new JcaPKCS10CertificationRequest(request).getPublicKey();
    } catch (java.security.GeneralSecurityException | RuntimeException e) {
      throw new CsrRejectedException("unreadable public key in the request: " + e.getMessage());
    }
  }

  PKCS10CertificationRequest request() {
    return request;
  }
}
