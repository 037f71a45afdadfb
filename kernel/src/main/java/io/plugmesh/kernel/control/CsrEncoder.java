package io.plugmesh.kernel.control;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.Signature;
import java.util.Base64;

/**
 * Writes a PKCS#10 certificate request (empty subject, one URI subject alternative name) for an EC
 * key pair with the JDK alone, so the proxy needs no X.509 building library.
 */
final class CsrEncoder {
  private static final byte[] OID_EXTENSION_REQUEST = {
    0x06, 0x09, 0x2A, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xF7, 0x0D, 0x01, 0x09, 0x0E
  };
  private static final byte[] OID_SUBJECT_ALT_NAME = {0x06, 0x03, 0x55, 0x1D, 0x11};
  private static final byte[] OID_ECDSA_SHA256 = {
    0x06, 0x08, 0x2A, (byte) 0x86, 0x48, (byte) 0xCE, 0x3D, 0x04, 0x03, 0x02
  };

  private CsrEncoder() {}

  /**
   * A PEM {@code CERTIFICATE REQUEST}.
   *
   * @param keys an EC key pair
   * @param uri the one URI SAN
   * @return the PEM text
   */
  static String pem(KeyPair keys, String uri) {
    if (!"EC".equals(keys.getPrivate().getAlgorithm())) {
      throw new IllegalArgumentException(
          "key algorithm " + keys.getPrivate().getAlgorithm() + " (expected: EC)");
    }
    byte[] san = tlv(0x30, tlv(0x86, uri.getBytes(StandardCharsets.US_ASCII)));
    byte[] extension = tlv(0x30, concat(OID_SUBJECT_ALT_NAME, tlv(0x04, san)));
    byte[] extensions = tlv(0x30, extension);
    byte[] attribute = tlv(0x30, concat(OID_EXTENSION_REQUEST, tlv(0x31, extensions)));
    byte[] info =
        tlv(
            0x30,
            concat(
                new byte[] {0x02, 0x01, 0x00},
                tlv(0x30, new byte[0]),
                keys.getPublic().getEncoded(),
                tlv(0xA0, attribute)));
    byte[] signature;
    try {
      Signature s = Signature.getInstance("SHA256withECDSA");
      s.initSign(keys.getPrivate());
      s.update(info);
      signature = s.sign();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot sign a certificate request: " + e.getMessage(), e);
    }
    byte[] der =
        tlv(
            0x30,
            concat(
                info, tlv(0x30, OID_ECDSA_SHA256), tlv(0x03, concat(new byte[] {0}, signature))));
    return "-----BEGIN CERTIFICATE REQUEST-----\n"
        + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
        + "\n-----END CERTIFICATE REQUEST-----\n";
  }

  private static byte[] tlv(int tag, byte[] value) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(value.length + 6);
    out.write(tag);
    int n = value.length;
    if (n < 0x80) {
      out.write(n);
    } else if (n < 0x100) {
      out.write(0x81);
      out.write(n);
    } else if (n < 0x10000) {
      out.write(0x82);
      out.write(n >> 8);
      out.write(n);
    } else {
      out.write(0x83);
      out.write(n >> 16);
      out.write(n >> 8);
      out.write(n);
    }
    out.writeBytes(value);
    return out.toByteArray();
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }
}
