package io.plugmesh.config;

/**
 * TLS the proxy originates to a cluster's endpoints: mutual TLS between sidecars when a client
 * certificate is set. The server's chain is verified against {@code caFile}; with {@code
 * serverIdentity} the server's {@code spiffe://} URI SAN must equal it and DNS host name checks are
 * off (the mesh identity replaces DNS names); without it the endpoint host is verified as HTTPS
 * clients do. Files are re-read when they change; new connections use the new files.
 *
 * @param certificateFile path of the PEM client certificate chain, or null for no client
 *     certificate
 * @param privateKeyFile path of the PEM PKCS#8 private key, null exactly when {@code
 *     certificateFile} is
 * @param caFile path of the PEM trust bundle for the server's chain, or null for the JDK's default
 *     trust store
 * @param serverIdentity the expected {@code spiffe://...} identity of the server, or null
 */
public record UpstreamTlsConfig(
    String certificateFile, String privateKeyFile, String caFile, String serverIdentity) {

  /**
   * Whether the proxy presents a client certificate (mutual TLS).
   *
   * @return true when a certificate is set
   */
  public boolean mutual() {
    return certificateFile != null;
  }
}
