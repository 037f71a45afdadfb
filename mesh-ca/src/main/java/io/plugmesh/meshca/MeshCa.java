package io.plugmesh.meshca;

import static java.util.Objects.requireNonNull;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Collection;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.pkcs.Attribute;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.PKCSException;

/**
 * The mesh certificate authority: a root key and self-signed certificate for one trust domain,
 * which signs short-lived workload certificates on certificate requests. Each workload certificate
 * carries exactly one identity, a SPIFFE URI subject alternative name, and is usable for both TLS
 * server and client authentication.
 *
 * <pre>{@code
 * MeshCa ca = MeshCa.generateRoot("mesh.local", MeshCa.DEFAULT_ROOT_VALIDITY);
 * // proxy side: the private key stays there
 * KeyPair keys = Keys.generate();
 * SpiffeId id = SpiffeId.of("mesh.local", "shop", "reviews");
 * String csr = Csr.create(keys, id).pem();
 * // CA side: the identity comes from the caller's authentication, not from the request
 * X509Certificate cert = ca.sign(csr, id, MeshCa.DEFAULT_WORKLOAD_TTL);
 * }</pre>
 *
 * <p>Thread-safe: signing keeps no mutable state.
 */
public final class MeshCa {
  /** Validity of a workload certificate when none is asked for: 24 hours. */
  public static final Duration DEFAULT_WORKLOAD_TTL = Duration.ofHours(24);

  /** The longest workload certificate validity the CA grants: 30 days. */
  public static final Duration MAX_WORKLOAD_TTL = Duration.ofDays(30);

  /** Validity of a generated root: 10 years. */
  public static final Duration DEFAULT_ROOT_VALIDITY = Duration.ofDays(3650);

  /**
   * How far before "now" certificates start to be valid, so peers whose clocks lag a little accept
   * them at once.
   */
  public static final Duration CLOCK_SKEW = Duration.ofMinutes(1);

  /** Serial numbers are random positive integers of this many bits. */
  static final int SERIAL_BITS = 127;

  private static final ASN1ObjectIdentifier EXTENSION_REQUEST =
      PKCSObjectIdentifiers.pkcs_9_at_extensionRequest;
  private static final DateTimeFormatter ROOT_NAME_TIME =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

  private final X509Certificate certificate;
  private final PrivateKey key;
  private final String trustDomain;
  private final Clock clock;
  private final SecureRandom random = new SecureRandom();

  private MeshCa(X509Certificate certificate, PrivateKey key, String trustDomain, Clock clock) {
    this.certificate = certificate;
    this.key = key;
    this.trustDomain = trustDomain;
    this.clock = clock;
  }

  /**
   * Generates a new root: an EC P-256 key and a self-signed CA certificate whose subject names the
   * trust domain and the time (so two roots of one trust domain never share a name, which an
   * overlap window needs) and whose URI SAN is {@code spiffe://<trust-domain>}.
   *
   * @param trustDomain the trust domain, e.g. {@code mesh.local}
   * @param validity how long the root is valid
   * @return the CA
   */
  public static MeshCa generateRoot(String trustDomain, Duration validity) {
    return generateRoot(trustDomain, validity, Clock.systemUTC());
  }

  static MeshCa generateRoot(String trustDomain, Duration validity, Clock clock) {
    SpiffeId.checkTrustDomain(trustDomain);
    requireNonNull(validity, "validity");
    if (validity.isNegative() || validity.isZero()) {
      throw new IllegalArgumentException("validity: " + validity + " (expected: > 0)");
    }
    KeyPair keys = Keys.generate();
    Instant now = clock.instant();
    SecureRandom random = new SecureRandom();
    X500Name name =
        new X500NameBuilder(BCStyle.INSTANCE)
            .addRDN(BCStyle.O, trustDomain)
            .addRDN(
                BCStyle.CN,
                "plugmesh root "
                    + ROOT_NAME_TIME.format(now)
                    + " "
                    + HexFormat.of().formatHex(random.generateSeed(4)))
            .build();
    try {
      JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder b =
          new JcaX509v3CertificateBuilder(
                  name,
                  serial(random),
                  Date.from(now.minus(CLOCK_SKEW)),
                  Date.from(now.plus(validity)),
                  name,
                  keys.getPublic())
              .addExtension(Extension.basicConstraints, true, new BasicConstraints(true))
              .addExtension(
                  Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
              .addExtension(
                  Extension.subjectKeyIdentifier,
                  false,
                  utils.createSubjectKeyIdentifier(keys.getPublic()))
              .addExtension(
                  Extension.subjectAlternativeName,
                  false,
                  new GeneralNames(
                      new GeneralName(
                          GeneralName.uniformResourceIdentifier,
                          SpiffeId.trustDomainUri(trustDomain))));
      X509Certificate cert = build(b, keys.getPrivate());
      return new MeshCa(cert, keys.getPrivate(), trustDomain, clock);
    } catch (GeneralSecurityException | CertIOException e) {
      throw new IllegalStateException("cannot build a root certificate: " + e.getMessage(), e);
    }
  }

  /**
   * Loads a CA from its certificate and private key; the trust domain is read from the
   * certificate's {@code spiffe://<trust-domain>} URI SAN.
   *
   * @param certificatePem the CA certificate (the first PEM block is used)
   * @param privateKeyPem its private key
   * @return the CA
   * @throws IllegalArgumentException when the certificate is not a CA, has no trust-domain SAN, is
   *     expired, or the key does not match it
   */
  public static MeshCa load(String certificatePem, String privateKeyPem) {
    X509Certificate cert = Pem.readCertificates(certificatePem).get(0);
    String domain = trustDomainOf(cert);
    if (domain == null) {
      throw new IllegalArgumentException(
          "CA certificate has no spiffe://<trust-domain> URI SAN (expected one, or pass the trust"
              + " domain explicitly)");
    }
    return load(certificatePem, privateKeyPem, domain);
  }

  /**
   * Loads a CA from its certificate and private key for an explicit trust domain.
   *
   * @param certificatePem the CA certificate (the first PEM block is used)
   * @param privateKeyPem its private key
   * @param trustDomain the trust domain whose identities it signs
   * @return the CA
   * @throws IllegalArgumentException when the certificate is not a CA, is expired, or the key does
   *     not match it
   */
  public static MeshCa load(String certificatePem, String privateKeyPem, String trustDomain) {
    SpiffeId.checkTrustDomain(trustDomain);
    X509Certificate cert = Pem.readCertificates(certificatePem).get(0);
    PrivateKey key = Pem.readPrivateKey(privateKeyPem);
    if (cert.getBasicConstraints() < 0) {
      throw new IllegalArgumentException(
          "certificate " + cert.getSubjectX500Principal() + " is not a CA (expected: CA:true)");
    }
    try {
      cert.checkValidity();
    } catch (CertificateException e) {
      throw new IllegalArgumentException(
          "CA certificate is not valid now (" + e.getMessage() + "; expected: a current root)");
    }
    if (!matches(key, cert.getPublicKey())) {
      throw new IllegalArgumentException(
          "the private key does not belong to the CA certificate (expected: the certificate's key)");
    }
    return new MeshCa(cert, key, trustDomain, Clock.systemUTC());
  }

  private static boolean matches(PrivateKey key, PublicKey pub) {
    try {
      byte[] probe = "plugmesh-ca-key-check".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
      Signature s = Signature.getInstance(Keys.signatureAlgorithm(key));
      s.initSign(key);
      s.update(probe);
      byte[] sig = s.sign();
      Signature v = Signature.getInstance(Keys.signatureAlgorithm(pub));
      v.initVerify(pub);
      v.update(probe);
      return v.verify(sig);
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      return false;
    }
  }

  /**
   * Signs a PEM certificate request for an identity.
   *
   * @param csrPem the {@code CERTIFICATE REQUEST}
   * @param identity the identity the requester is entitled to (from its authentication)
   * @param ttl how long the certificate is valid; at most {@link #MAX_WORKLOAD_TTL}, and never past
   *     the root's own expiry
   * @return the workload certificate
   * @throws CsrRejectedException when the request is malformed, badly signed, or asks for anything
   *     beyond {@code identity}
   */
  public X509Certificate sign(String csrPem, SpiffeId identity, Duration ttl) {
    return sign(Csr.parse(csrPem), identity, ttl);
  }

  /**
   * Signs a DER certificate request for an identity.
   *
   * @param csrDer the request bytes
   * @param identity the identity the requester is entitled to (from its authentication)
   * @param ttl how long the certificate is valid; see {@link #sign(String, SpiffeId, Duration)}
   * @return the workload certificate
   * @throws CsrRejectedException when the request is malformed, badly signed, or asks for anything
   *     beyond {@code identity}
   */
  public X509Certificate sign(byte[] csrDer, SpiffeId identity, Duration ttl) {
    return sign(Csr.parse(csrDer), identity, ttl);
  }

  /**
   * Signs a certificate request for an identity. The request must be signed by the key it carries,
   * have an empty subject, and ask for exactly one extension: a subject alternative name holding
   * exactly {@code identity} as a URI.
   *
   * @param csr the request
   * @param identity the identity the requester is entitled to (from its authentication)
   * @param ttl how long the certificate is valid; see {@link #sign(String, SpiffeId, Duration)}
   * @return the workload certificate
   * @throws CsrRejectedException when the request does not meet those rules
   */
  public X509Certificate sign(Csr csr, SpiffeId identity, Duration ttl) {
    requireNonNull(csr, "csr");
    requireNonNull(identity, "identity");
    requireNonNull(ttl, "ttl");
    if (ttl.isNegative() || ttl.isZero() || ttl.compareTo(MAX_WORKLOAD_TTL) > 0) {
      throw new IllegalArgumentException(
          "ttl: " + ttl + " (expected: > 0 and at most " + MAX_WORKLOAD_TTL + ")");
    }
    if (!identity.trustDomain().equals(trustDomain)) {
      throw new CsrRejectedException(
          "identity "
              + identity
              + " is outside this CA's trust domain (expected: spiffe://"
              + trustDomain
              + "/...)");
    }
    PKCS10CertificationRequest request = csr.request();
    PublicKey publicKey = csr.publicKey();
    String keyProblem = Keys.problem(publicKey);
    if (keyProblem != null) {
      throw new CsrRejectedException(keyProblem);
    }
    try {
      if (!request.isSignatureValid(new JcaContentVerifierProviderBuilder().build(publicKey))) {
        throw new CsrRejectedException(
            "certificate request signature does not verify (expected: signed by its own key)");
      }
    } catch (OperatorCreationException | PKCSException | RuntimeException e) {
      if (e instanceof CsrRejectedException rejected) {
        throw rejected;
      }
      throw new CsrRejectedException("cannot verify the request signature: " + e.getMessage());
    }
    checkRequest(request, identity);

    Instant now = clock.instant();
    Instant notAfter = now.plus(ttl);
    Instant rootEnd = certificate.getNotAfter().toInstant();
    if (!rootEnd.isAfter(now)) {
      throw new IllegalStateException("the CA certificate expired at " + rootEnd);
    }
    if (notAfter.isAfter(rootEnd)) {
      notAfter = rootEnd;
    }
    Instant notBefore = now.minus(CLOCK_SKEW);
    Instant rootStart = certificate.getNotBefore().toInstant();
    if (notBefore.isBefore(rootStart)) {
      notBefore = rootStart;
    }
    try {
      JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
      int usage = KeyUsage.digitalSignature;
      if ("RSA".equals(publicKey.getAlgorithm())) {
        usage |= KeyUsage.keyEncipherment;
      }
      X509v3CertificateBuilder b =
          new JcaX509v3CertificateBuilder(
                  certificate,
                  serial(random),
                  Date.from(notBefore),
                  Date.from(notAfter),
                  new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, trustDomain).build(),
                  publicKey)
              .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
              .addExtension(Extension.keyUsage, true, new KeyUsage(usage))
              .addExtension(
                  Extension.extendedKeyUsage,
                  false,
                  new ExtendedKeyUsage(
                      new KeyPurposeId[] {
                        KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth
                      }))
              .addExtension(
                  Extension.subjectKeyIdentifier,
                  false,
                  utils.createSubjectKeyIdentifier(publicKey))
              .addExtension(
                  Extension.authorityKeyIdentifier,
                  false,
                  utils.createAuthorityKeyIdentifier(certificate))
              .addExtension(
                  Extension.subjectAlternativeName,
                  false,
                  new GeneralNames(
                      new GeneralName(GeneralName.uniformResourceIdentifier, identity.uri())));
      return build(b, key);
    } catch (GeneralSecurityException | CertIOException e) {
      throw new IllegalStateException("cannot build a workload certificate: " + e.getMessage(), e);
    }
  }

  private static void checkRequest(PKCS10CertificationRequest request, SpiffeId identity) {
    if (request.getSubject().getRDNs().length != 0) {
      throw new CsrRejectedException(
          "request subject '"
              + request.getSubject()
              + "' (expected: empty; the identity goes in the URI SAN)");
    }
    Extensions extensions = null;
    for (Attribute attribute : request.getAttributes()) {
      if (!attribute.getAttrType().equals(EXTENSION_REQUEST)) {
        throw new CsrRejectedException(
            "request attribute " + attribute.getAttrType() + " (expected: only extensionRequest)");
      }
      if (extensions != null || attribute.getAttrValues().size() != 1) {
        throw new CsrRejectedException("more than one extensionRequest (expected: one)");
      }
      extensions = Extensions.getInstance(attribute.getAttrValues().getObjectAt(0));
    }
    if (extensions == null) {
      throw new CsrRejectedException(
          "request asks for no identity (expected: a URI SAN " + identity + ")");
    }
    for (ASN1ObjectIdentifier oid : extensions.getExtensionOIDs()) {
      if (!oid.equals(Extension.subjectAlternativeName)) {
        throw new CsrRejectedException(
            "request asks for extension " + oid + " (expected: only subjectAltName)");
      }
    }
    GeneralNames names = GeneralNames.fromExtensions(extensions, Extension.subjectAlternativeName);
    GeneralName[] all = names == null ? new GeneralName[0] : names.getNames();
    if (all.length != 1
        || all[0].getTagNo() != GeneralName.uniformResourceIdentifier
        || !identity.uri().equals(all[0].getName().toString())) {
      throw new CsrRejectedException(
          "request asks for subject alternative names "
              + describe(all)
              + " (expected: exactly URI "
              + identity
              + ")");
    }
  }

  private static String describe(GeneralName[] names) {
    StringBuilder b = new StringBuilder("[");
    for (int i = 0; i < names.length && i < 8; i++) {
      if (i > 0) {
        b.append(", ");
      }
      b.append(names[i].getTagNo() == GeneralName.uniformResourceIdentifier ? "URI:" : "other:")
          .append(names[i].getName());
    }
    return b.append(names.length > 8 ? ", ...]" : "]").toString();
  }

  private static BigInteger serial(SecureRandom random) {
    return new BigInteger(SERIAL_BITS, random).add(BigInteger.ONE);
  }

  private static X509Certificate build(X509v3CertificateBuilder builder, PrivateKey signer)
      throws GeneralSecurityException {
    try {
      return new JcaX509CertificateConverter()
          .getCertificate(
              builder.build(
                  new JcaContentSignerBuilder(Keys.signatureAlgorithm(signer)).build(signer)));
    } catch (OperatorCreationException e) {
      throw new GeneralSecurityException(e.getMessage(), e);
    }
  }

  /**
   * The trust domain of a CA certificate: the host of its {@code spiffe://<trust-domain>} URI SAN.
   *
   * @param certificate the certificate
   * @return the trust domain, or null when it carries none
   */
  public static String trustDomainOf(X509Certificate certificate) {
    try {
      Collection<List<?>> names = certificate.getSubjectAlternativeNames();
      if (names == null) {
        return null;
      }
      for (List<?> name : names) {
        if (Integer.valueOf(6).equals(name.get(0)) && name.get(1) instanceof String uri) {
          String prefix = SpiffeId.SCHEME + "://";
          if (uri.startsWith(prefix) && uri.indexOf('/', prefix.length()) < 0) {
            return uri.substring(prefix.length());
          }
        }
      }
      return null;
    } catch (CertificateParsingException e) {
      return null;
    }
  }

  /**
   * The CA certificate (the root, or an intermediate when loaded so).
   *
   * @return the certificate
   */
  public X509Certificate certificate() {
    return certificate;
  }

  /**
   * The CA certificate as PEM; what proxies put in their trust bundle.
   *
   * @return the PEM text
   */
  public String certificatePem() {
    return Pem.certificate(certificate);
  }

  /**
   * The CA private key as PKCS#8 PEM, for the control service to persist in its store.
   *
   * @return the PEM text
   */
  public String privateKeyPem() {
    return Pem.privateKey(key);
  }

  /**
   * The trust domain whose identities this CA signs.
   *
   * @return the trust domain
   */
  public String trustDomain() {
    return trustDomain;
  }
}
