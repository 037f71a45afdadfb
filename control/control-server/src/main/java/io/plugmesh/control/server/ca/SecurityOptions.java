package io.plugmesh.control.server.ca;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.time.Duration;

/**
 * The control service as mesh certificate authority.
 *
 * @param trustDomain the trust domain of a generated root (default {@link
 *     CertificateAuthority#DEFAULT_TRUST_DOMAIN})
 * @param caDir where roots are kept (generated on first start), or null: the store directory's
 *     {@code .ca} folder in file mode
 * @param rootCertificateFile a configured root certificate (with {@code rootKeyFile}) instead of
 *     {@code caDir}, or null
 * @param rootKeyFile its private key, or null
 * @param workloadTtl the workload certificate lifetime (default {@link
 *     CertificateAuthority#DEFAULT_WORKLOAD_TTL})
 * @param joinTokens the tokens proxies authenticate with on the proxy stream and for certificates
 * @param tls whether the gRPC port (proxies, admin, registry) serves TLS with a certificate from
 *     the mesh CA for {@code spiffe://<trust-domain>/ns/plugmesh/sa/control}
 */
public record SecurityOptions(
    String trustDomain,
    Path caDir,
    Path rootCertificateFile,
    Path rootKeyFile,
    Duration workloadTtl,
    JoinTokens joinTokens,
    boolean tls) {
  /** Checks the options. */
  public SecurityOptions {
    trustDomain = trustDomain == null ? CertificateAuthority.DEFAULT_TRUST_DOMAIN : trustDomain;
    workloadTtl = workloadTtl == null ? CertificateAuthority.DEFAULT_WORKLOAD_TTL : workloadTtl;
    requireNonNull(joinTokens, "joinTokens");
    if ((rootCertificateFile == null) != (rootKeyFile == null)) {
      throw new IllegalArgumentException(
          "root CA: expected both a certificate file and a key file, or neither");
    }
    for (Identity id : joinTokens.identities()) {
      if (id.namespace().equals(ServerCertificate.CONTROL_NAMESPACE)
          && id.service().equals(ServerCertificate.CONTROL_SERVICE)) {
        throw new IllegalArgumentException(
            "join token for "
                + id
                + ": that is the control service's own identity (expected: a proxy's identity)");
      }
    }
  }

  /**
   * Options without TLS on the control API.
   *
   * @param trustDomain the trust domain
   * @param caDir the CA folder or null
   * @param rootCertificateFile a configured root certificate or null
   * @param rootKeyFile its key or null
   * @param workloadTtl the workload certificate lifetime or null
   * @param joinTokens the join tokens
   */
  public SecurityOptions(
      String trustDomain,
      Path caDir,
      Path rootCertificateFile,
      Path rootKeyFile,
      Duration workloadTtl,
      JoinTokens joinTokens) {
    this(trustDomain, caDir, rootCertificateFile, rootKeyFile, workloadTtl, joinTokens, false);
  }
}
