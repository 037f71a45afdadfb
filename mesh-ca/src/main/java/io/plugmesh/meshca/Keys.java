package io.plugmesh.meshca;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;

/** Key pairs for the mesh: EC P-256 by default, generated with the JDK's providers. */
public final class Keys {
  /** The curve of generated keys. */
  public static final String DEFAULT_CURVE = "secp256r1";

  /** The smallest RSA modulus the CA signs for (bits). */
  public static final int MIN_RSA_BITS = 2048;

  /** EC field sizes the CA signs for (P-256 and P-384). */
  private static final int[] EC_FIELD_BITS = {256, 384};

  private Keys() {}

  /**
   * Generates an EC P-256 key pair; a proxy makes its own and never sends the private half.
   *
   * @return the key pair
   */
  public static KeyPair generate() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec(DEFAULT_CURVE));
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK cannot generate EC " + DEFAULT_CURVE + " keys", e);
    }
  }

  /**
   * The JCA signature algorithm for a key.
   *
   * @param key a public or private key
   * @return {@code SHA256withECDSA} or {@code SHA256withRSA}
   */
  static String signatureAlgorithm(java.security.Key key) {
    return switch (key.getAlgorithm()) {
      case "EC" -> "SHA256withECDSA";
      case "RSA" -> "SHA256withRSA";
      default ->
          throw new IllegalArgumentException(
              "key algorithm " + key.getAlgorithm() + " (expected: EC or RSA)");
    };
  }

  /**
   * Checks that a public key is one the CA signs for.
   *
   * @param key the key
   * @return null when acceptable, else what is wrong
   */
  static String problem(PublicKey key) {
    if (key instanceof ECPublicKey ec) {
      int bits = ec.getParams().getCurve().getField().getFieldSize();
      for (int allowed : EC_FIELD_BITS) {
        if (bits == allowed) {
          return null;
        }
      }
      return "EC key of " + bits + " bits (expected: P-256 or P-384)";
    }
    if (key instanceof RSAPublicKey rsa) {
      int bits = rsa.getModulus().bitLength();
      return bits >= MIN_RSA_BITS
          ? null
          : "RSA key of " + bits + " bits (expected: at least " + MIN_RSA_BITS + ")";
    }
    return "key algorithm " + key.getAlgorithm() + " (expected: EC P-256/P-384 or RSA)";
  }
}
