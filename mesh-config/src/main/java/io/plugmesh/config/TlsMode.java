package io.plugmesh.config;

/** Whether a listener requires TLS (and, with a client CA, a verified client certificate). */
public enum TlsMode {
  /**
   * TLS only: plaintext connections are refused. With {@code clientCaFile} the client must present
   * a certificate that chains to it and carries a {@code spiffe://} identity (mutual TLS).
   */
  STRICT,
  /**
   * TLS and plaintext on the same port, told apart by the first byte (a TLS ClientHello starts with
   * 0x16). A client certificate is optional; one that is presented must chain to {@code
   * clientCaFile}. For migrating a workload to mutual TLS.
   */
  PERMISSIVE,
  /** Plaintext only; the certificate files are not read. */
  OFF
}
