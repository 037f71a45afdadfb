package io.plugmesh.kernel.config;

/**
 * A PEM certificate chain and its private key.
 *
 * @param certificateFile path of the PEM certificate chain
 * @param privateKeyFile path of the PEM PKCS#8 private key
 */
public record TlsConfig(String certificateFile, String privateKeyFile) {}
