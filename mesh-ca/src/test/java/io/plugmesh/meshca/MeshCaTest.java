package io.plugmesh.meshca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.KeyPair;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.Test;

class MeshCaTest {
  static final String DOMAIN = "mesh.local";
  static final SpiffeId REVIEWS = SpiffeId.of(DOMAIN, "shop", "reviews");

  final MeshCa ca = MeshCa.generateRoot(DOMAIN, Duration.ofDays(30));

  @Test
  void signsAWorkloadCertificateThatChainsToTheRoot() throws Exception {
    KeyPair keys = Keys.generate();
    X509Certificate cert = ca.sign(Csr.create(keys, REVIEWS).pem(), REVIEWS, Duration.ofHours(1));

    assertThat(cert.getPublicKey()).isEqualTo(keys.getPublic());
    assertThat(cert.getSubjectAlternativeNames()).containsExactly(List.of(6, REVIEWS.uri()));
    assertThat(cert.getBasicConstraints()).isEqualTo(-1);
    assertThat(cert.getExtendedKeyUsage())
        .containsExactlyInAnyOrder("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2");
    assertThat(Duration.between(cert.getNotBefore().toInstant(), cert.getNotAfter().toInstant()))
        .isEqualTo(Duration.ofHours(1).plus(MeshCa.CLOCK_SKEW));
    validate(cert, ca.certificate());
    assertThat(MeshCa.trustDomainOf(ca.certificate())).isEqualTo(DOMAIN);
  }

  @Test
  void aCertificateDoesNotChainToAnotherRoot() throws Exception {
    MeshCa other = MeshCa.generateRoot(DOMAIN, Duration.ofDays(30));
    X509Certificate cert =
        ca.sign(Csr.create(Keys.generate(), REVIEWS), REVIEWS, MeshCa.DEFAULT_WORKLOAD_TTL);
    assertThat(other.certificate().getSubjectX500Principal())
        .isNotEqualTo(ca.certificate().getSubjectX500Principal());
    assertThatThrownBy(() -> validate(cert, other.certificate()))
        .isInstanceOf(CertPathValidatorException.class);
  }

  @Test
  void signsDerToo() throws Exception {
    Csr csr = Csr.create(Keys.generate(), REVIEWS);
    X509Certificate cert = ca.sign(csr.der(), REVIEWS, Duration.ofMinutes(5));
    assertThat(cert.getPublicKey()).isEqualTo(csr.publicKey());
  }

  @Test
  void refusesAnIdentityOtherThanTheEntitledOne() {
    SpiffeId ratings = SpiffeId.of(DOMAIN, "shop", "ratings");
    String csr = Csr.create(Keys.generate(), ratings).pem();
    assertThatThrownBy(() -> ca.sign(csr, REVIEWS, Duration.ofHours(1)))
        .isInstanceOf(CsrRejectedException.class)
        .hasMessageContaining("URI:" + ratings.uri())
        .hasMessageContaining("expected: exactly URI " + REVIEWS.uri());
  }

  @Test
  void refusesAnotherTrustDomain() {
    SpiffeId foreign = SpiffeId.of("evil.local", "shop", "reviews");
    String csr = Csr.create(Keys.generate(), foreign).pem();
    assertThatThrownBy(() -> ca.sign(csr, foreign, Duration.ofHours(1)))
        .isInstanceOf(CsrRejectedException.class)
        .hasMessageContaining("outside this CA's trust domain");
  }

  @Test
  void refusesExtraNamesExtensionsAndSubjects() throws Exception {
    KeyPair keys = Keys.generate();
    GeneralNames twoNames =
        new GeneralNames(
            new GeneralName[] {
              new GeneralName(GeneralName.uniformResourceIdentifier, REVIEWS.uri()),
              new GeneralName(GeneralName.dNSName, "reviews.example")
            });
    assertThatThrownBy(() -> ca.sign(csr(keys, "", twoNames, false), REVIEWS, Duration.ofHours(1)))
        .isInstanceOf(CsrRejectedException.class)
        .hasMessageContaining("subject alternative names");

    GeneralNames one =
        new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, REVIEWS.uri()));
    assertThatThrownBy(() -> ca.sign(csr(keys, "", one, true), REVIEWS, Duration.ofHours(1)))
        .isInstanceOf(CsrRejectedException.class)
        .hasMessageContaining("expected: only subjectAltName");
    assertThatThrownBy(
            () -> ca.sign(csr(keys, "CN=admin", one, false), REVIEWS, Duration.ofHours(1)))
        .isInstanceOf(CsrRejectedException.class)
        .hasMessageContaining("request subject 'CN=admin'");
    // The same builder with nothing extra is accepted: the refusals above are about the extras.
    assertThat(ca.sign(csr(keys, "", one, false), REVIEWS, Duration.ofHours(1))).isNotNull();
  }

  @Test
  void refusesARequestNotSignedByItsKey() {
    byte[] der = Csr.create(Keys.generate(), REVIEWS).der();
    der[der.length - 5] ^= 0x01; // inside the signature
    assertThatThrownBy(() -> ca.sign(der, REVIEWS, Duration.ofHours(1)))
        .isInstanceOf(CsrRejectedException.class);
  }

  @Test
  void boundsTheTtlByTheMaximumAndTheRoot() {
    String csr = Csr.create(Keys.generate(), REVIEWS).pem();
    assertThatThrownBy(() -> ca.sign(csr, REVIEWS, Duration.ofDays(31)))
        .hasMessageContaining("ttl: PT744H (expected: > 0 and at most PT720H)");
    assertThatThrownBy(() -> ca.sign(csr, REVIEWS, Duration.ZERO)).hasMessageContaining("ttl");
    MeshCa shortRoot = MeshCa.generateRoot(DOMAIN, Duration.ofHours(2));
    X509Certificate cert = shortRoot.sign(csr, REVIEWS, Duration.ofDays(3));
    assertThat(cert.getNotAfter()).isEqualTo(shortRoot.certificate().getNotAfter());
  }

  @Test
  void loadsFromPemAndChecksTheKey() throws Exception {
    MeshCa loaded = MeshCa.load(ca.certificatePem(), ca.privateKeyPem());
    assertThat(loaded.trustDomain()).isEqualTo(DOMAIN);
    assertThat(loaded.certificate()).isEqualTo(ca.certificate());
    X509Certificate cert =
        loaded.sign(Csr.create(Keys.generate(), REVIEWS), REVIEWS, Duration.ofHours(1));
    validate(cert, ca.certificate());

    MeshCa other = MeshCa.generateRoot(DOMAIN, Duration.ofDays(1));
    assertThatThrownBy(() -> MeshCa.load(ca.certificatePem(), other.privateKeyPem()))
        .hasMessageContaining("does not belong");
    String leaf = Pem.certificate(cert);
    assertThatThrownBy(() -> MeshCa.load(leaf, ca.privateKeyPem(), DOMAIN))
        .hasMessageContaining("is not a CA");
  }

  @Test
  void pemRoundTripsBundlesAndKeys() {
    MeshCa other = MeshCa.generateRoot(DOMAIN, Duration.ofDays(1));
    String bundle = Pem.certificates(List.of(ca.certificate(), other.certificate()));
    assertThat(Pem.readCertificates(bundle)).containsExactly(ca.certificate(), other.certificate());
    KeyPair keys = Keys.generate();
    assertThat(Pem.readPrivateKey(Pem.privateKey(keys.getPrivate()))).isEqualTo(keys.getPrivate());
    assertThat(Pem.privateKey(keys.getPrivate())).startsWith("-----BEGIN PRIVATE KEY-----");
    assertThatThrownBy(() -> Pem.readCertificates("nothing here"))
        .hasMessageContaining("no certificate");
  }

  private static String csr(KeyPair keys, String subject, GeneralNames names, boolean ca)
      throws Exception {
    ExtensionsGenerator ext = new ExtensionsGenerator();
    ext.addExtension(Extension.subjectAlternativeName, false, names);
    if (ca) {
      ext.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
    }
    var request =
        new JcaPKCS10CertificationRequestBuilder(new X500Name(subject), keys.getPublic())
            .addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, ext.generate())
            .build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate()));
    return Csr.parse(request.getEncoded()).pem();
  }

  private static void validate(X509Certificate leaf, X509Certificate root) throws Exception {
    CertificateFactory cf = CertificateFactory.getInstance("X.509");
    PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(root, null)));
    params.setRevocationEnabled(false);
    CertPathValidator.getInstance("PKIX").validate(cf.generateCertPath(List.of(leaf)), params);
  }
}
