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
 */
public record SecurityOptions(
    String trustDomain,
    Path caDir,
    Path rootCertificateFile,
    Path rootKeyFile,
    Duration workloadTtl,
    JoinTokens joinTokens) {
  /** Checks the options. */
  public SecurityOptions {
    trustDomain = trustDomain == null ? CertificateAuthority.DEFAULT_TRUST_DOMAIN : trustDomain;
    workloadTtl = workloadTtl == null ? CertificateAuthority.DEFAULT_WORKLOAD_TTL : workloadTtl;
    requireNonNull(joinTokens, "joinTokens");
    if ((rootCertificateFile == null) != (rootKeyFile == null)) {
      throw new IllegalArgumentException(
          "root CA: expected both a certificate file and a key file, or neither");
    }
  }
}
