package io.plugmesh.meshca;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;

/**
 * Reads and writes the PEM texts the mesh exchanges: certificates and chains ({@code CERTIFICATE}),
 * unencrypted PKCS#8 private keys ({@code PRIVATE KEY}; {@code EC PRIVATE KEY} and {@code RSA
 * PRIVATE KEY} are read too) and certificate requests ({@code CERTIFICATE REQUEST}).
 */
public final class Pem {
  /** The largest PEM text read (characters); bundles of a few roots are far smaller. */
  public static final int MAX_PEM_CHARS = 1 << 20;

  private Pem() {}

  /**
   * Writes certificates as concatenated PEM blocks, in order (a chain leaf first, or a bundle).
   *
   * @param certificates the certificates
   * @return the PEM text
   */
  public static String certificates(List<X509Certificate> certificates) {
    requireNonNull(certificates, "certificates");
    StringWriter out = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(out)) {
      for (X509Certificate c : certificates) {
        w.writeObject(c);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }

  /**
   * Writes one certificate as PEM.
   *
   * @param certificate the certificate
   * @return the PEM text
   */
  public static String certificate(X509Certificate certificate) {
    return certificates(List.of(requireNonNull(certificate, "certificate")));
  }

  /**
   * Writes a private key as an unencrypted PKCS#8 {@code PRIVATE KEY} block (what Netty and the JDK
   * read).
   *
   * @param key the key
   * @return the PEM text
   */
  public static String privateKey(PrivateKey key) {
    requireNonNull(key, "key");
    StringWriter out = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(out)) {
      w.writeObject(new JcaPKCS8Generator(key, null));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }

  /**
   * Reads every {@code CERTIFICATE} block of a PEM text, in order; other blocks are skipped.
   *
   * @param pem the text
   * @return the certificates, at least one
   * @throws IllegalArgumentException when the text holds no certificate or a malformed one
   */
  public static List<X509Certificate> readCertificates(String pem) {
    List<X509Certificate> out = new ArrayList<>();
    JcaX509CertificateConverter converter = new JcaX509CertificateConverter();
    try (PEMParser parser = parser(pem)) {
      Object o;
      while ((o = parser.readObject()) != null) {
        if (o instanceof X509CertificateHolder holder) {
          out.add(converter.getCertificate(holder));
        }
      }
    } catch (IOException | CertificateException | RuntimeException e) {
      throw new IllegalArgumentException("malformed PEM certificate: " + e.getMessage(), e);
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException(
          "no certificate in the PEM text (expected: -----BEGIN CERTIFICATE----- blocks)");
    }
    return out;
  }

  /**
   * Reads the first private key of a PEM text: PKCS#8 {@code PRIVATE KEY}, {@code EC PRIVATE KEY}
   * or {@code RSA PRIVATE KEY}, unencrypted.
   *
   * @param pem the text
   * @return the key
   * @throws IllegalArgumentException when the text holds no readable private key
   */
  public static PrivateKey readPrivateKey(String pem) {
    JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
    try (PEMParser parser = parser(pem)) {
      Object o;
      while ((o = parser.readObject()) != null) {
        if (o instanceof PrivateKeyInfo info) {
          return converter.getPrivateKey(info);
        }
        if (o instanceof PEMKeyPair pair) {
          return converter.getKeyPair(pair).getPrivate();
        }
      }
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException("malformed PEM private key: " + e.getMessage(), e);
    }
    throw new IllegalArgumentException(
        "no private key in the PEM text (expected: an unencrypted -----BEGIN PRIVATE KEY----- block)");
  }

  /**
   * Writes a certificate request as a {@code CERTIFICATE REQUEST} block.
   *
   * @param der the DER encoding of the request
   * @return the PEM text
   */
  static String csr(byte[] der) {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(out)) {
      w.writeObject(new PKCS10CertificationRequest(der));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }

  /**
   * Reads the first {@code CERTIFICATE REQUEST} block.
   *
   * @param pem the text
   * @return the request
   * @throws IllegalArgumentException when there is none or it is malformed
   */
  static PKCS10CertificationRequest readCsr(String pem) {
    try (PEMParser parser = parser(pem)) {
      Object o;
      while ((o = parser.readObject()) != null) {
        if (o instanceof PKCS10CertificationRequest csr) {
          return csr;
        }
      }
    } catch (IOException | RuntimeException e) {
      throw new CsrRejectedException("malformed PEM certificate request: " + e.getMessage());
    }
    throw new CsrRejectedException(
        "no certificate request in the PEM text (expected: -----BEGIN CERTIFICATE REQUEST-----)");
  }

  private static PEMParser parser(String pem) {
    requireNonNull(pem, "pem");
    if (pem.length() > MAX_PEM_CHARS) {
      throw new IllegalArgumentException(
          "PEM text of " + pem.length() + " characters (expected: at most " + MAX_PEM_CHARS + ")");
    }
    return new PEMParser(new StringReader(pem));
  }
}
