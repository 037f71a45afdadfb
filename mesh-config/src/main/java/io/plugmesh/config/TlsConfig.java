package io.plugmesh.config;

/**
 * A listener's TLS: a PEM certificate chain and its private key, optionally the trust bundle client
 * certificates must chain to, and the mode. Files are re-read when they change, so certificates
 * rotate without a restart.
 *
 * @param certificateFile path of the PEM certificate chain (leaf first)
 * @param privateKeyFile path of the PEM PKCS#8 private key
 * @param clientCaFile path of the PEM trust bundle for client certificates (one or more roots: old
 *     and new roots together during a root rotation), or null to not ask for client certificates
 * @param mode strict, permissive or off; null means {@link #DEFAULT_MODE}
 */
public record TlsConfig(
    String certificateFile, String privateKeyFile, String clientCaFile, TlsMode mode) {
  /** The mode when none is set. */
  public static final TlsMode DEFAULT_MODE = TlsMode.STRICT;

  public TlsConfig {
    if (mode == null) {
      mode = DEFAULT_MODE;
    }
  }

  /**
   * Server TLS without client certificates, in strict mode.
   *
   * @param certificateFile path of the PEM certificate chain
   * @param privateKeyFile path of the PEM PKCS#8 private key
   */
  public TlsConfig(String certificateFile, String privateKeyFile) {
    this(certificateFile, privateKeyFile, null, DEFAULT_MODE);
  }

  /**
   * Whether clients must (strict) or may (permissive) present a certificate that is verified.
   *
   * @return true when a client CA is configured and the mode is not off
   */
  public boolean verifiesClients() {
    return clientCaFile != null && mode != TlsMode.OFF;
  }
}
