package io.plugmesh.kernel.tls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads PEM certificate chains, bundles and PKCS#8 keys with the JDK, and checks they match. */
final class TlsFiles {
  /** The largest PEM file read (bytes). */
  static final int MAX_FILE_BYTES = 1 << 20;

  private static final Pattern PKCS8 =
      Pattern.compile("-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\\s]+)-----END PRIVATE KEY-----");
  private static final byte[] PROBE = "plugmesh-key-check".getBytes(StandardCharsets.US_ASCII);

  private TlsFiles() {}

  static List<X509Certificate> certificates(Path file, String what) throws IOException {
    byte[] bytes = read(file, what);
    try {
      Collection certs =
          new Collection(
              CertificateFactory.getInstance("X.509")
                  .generateCertificates(new ByteArrayInputStream(bytes)));
      if (certs.list.isEmpty()) {
        throw new IOException(what + " " + file + ": no certificate (expected: PEM CERTIFICATE)");
      }
      return certs.list;
    } catch (GeneralSecurityException e) {
      throw new IOException(
          what + " " + file + ": malformed certificate (" + e.getMessage() + ")", e);
    }
  }

  static PrivateKey privateKey(Path file, String what) throws IOException {
    String text = new String(read(file, what), StandardCharsets.US_ASCII);
    Matcher m = PKCS8.matcher(text);
    if (!m.find()) {
      throw new IOException(
          what
              + " "
              + file
              + ": no unencrypted PKCS#8 key (expected: -----BEGIN PRIVATE KEY-----)");
    }
    byte[] der = Base64.getMimeDecoder().decode(m.group(1).replaceAll("\\s", ""));
    for (String algorithm : new String[] {"EC", "RSA", "Ed25519"}) {
      try {
        return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
      } catch (GeneralSecurityException e) {
        // try the next algorithm
      }
    }
    throw new IOException(what + " " + file + ": unsupported key (expected: EC, RSA or Ed25519)");
  }

  /** Fails unless the key signs what the certificate's public key verifies. */
  static void checkPair(PrivateKey key, X509Certificate cert, Path keyFile) throws IOException {
    PublicKey pub = cert.getPublicKey();
    try {
      String algorithm =
          switch (key.getAlgorithm()) {
            case "EC" -> "SHA256withECDSA";
            case "RSA" -> "SHA256withRSA";
            default -> key.getAlgorithm();
          };
      Signature s = Signature.getInstance(algorithm);
      s.initSign(key);
      s.update(PROBE);
      byte[] sig = s.sign();
      Signature v = Signature.getInstance(algorithm);
      v.initVerify(pub);
      v.update(PROBE);
      if (v.verify(sig)) {
        return;
      }
    } catch (GeneralSecurityException e) {
      // a different key type: a mismatch
    }
    throw new IOException(
        "private key "
            + keyFile
            + " does not belong to certificate "
            + cert.getSubjectX500Principal()
            + " (expected: the key of the first certificate in the chain)");
  }

  private static byte[] read(Path file, String what) throws IOException {
    long size = Files.size(file);
    if (size > MAX_FILE_BYTES) {
      throw new IOException(
          what + " " + file + ": " + size + " bytes (expected: at most " + MAX_FILE_BYTES + ")");
    }
    return Files.readAllBytes(file);
  }

  /** An X.509 view of a generated collection. */
  private static final class Collection {
    final List<X509Certificate> list = new ArrayList<>();

    Collection(java.util.Collection<? extends Certificate> certs) throws IOException {
      for (Certificate c : certs) {
        if (!(c instanceof X509Certificate x509)) {
          throw new IOException("not an X.509 certificate: " + c.getType());
        }
        list.add(x509);
      }
    }
  }
}
