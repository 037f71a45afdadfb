package io.plugmesh.kernel.control;

import static java.util.Objects.requireNonNull;

import java.net.URI;
import java.nio.file.Path;

/**
 * Where a proxy keeps the workload certificate it gets from the control service, and the identity
 * it asks for (the control service signs only the identity of the proxy's join token).
 *
 * <p>Files, each replaced by an atomic rename: {@link #keyFile()} (written first, mode 0600),
 * {@link #certificateFile()} and {@link #bundleFile()}. Point the listener's {@code tls} ({@code
 * certificateFile}, {@code privateKeyFile}, {@code clientCaFile}) and clusters' {@code tls} ({@code
 * caFile}) at them.
 *
 * @param dir the folder of the files
 * @param spiffeId the identity asked for, {@code spiffe://<trust-domain>/ns/<namespace>/sa/<sa>}
 * @param controlCaFile when set, the control API is reached over TLS and its certificate must chain
 *     to a root in this file (the bundle the proxy was bootstrapped with) or in the trust bundle
 *     received since, and hold {@code spiffe://<trust-domain>/ns/plugmesh/sa/control}; null for
 *     plaintext
 */
public record CertificateSettings(Path dir, String spiffeId, Path controlCaFile) {
  /** The certificate chain file name. */
  public static final String CERTIFICATE_FILE = "cert.pem";

  /** The private key file name. */
  public static final String KEY_FILE = "key.pem";

  /** The trust bundle file name. */
  public static final String BUNDLE_FILE = "bundle.pem";

  /** Checks the settings. */
  public CertificateSettings {
    requireNonNull(dir, "dir");
    requireNonNull(spiffeId, "spiffeId");
    URI uri;
    try {
      uri = URI.create(spiffeId);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "spiffeId: '" + spiffeId + "' (expected: spiffe://<trust-domain>/ns/<ns>/sa/<sa>)");
    }
    if (!"spiffe".equals(uri.getScheme()) || uri.getHost() == null) {
      throw new IllegalArgumentException(
          "spiffeId: '" + spiffeId + "' (expected: spiffe://<trust-domain>/ns/<ns>/sa/<sa>)");
    }
  }

  /**
   * Settings for a plaintext control API.
   *
   * @param dir the folder of the files
   * @param spiffeId the identity asked for
   */
  public CertificateSettings(Path dir, String spiffeId) {
    this(dir, spiffeId, null);
  }

  /**
   * These settings with the control API over TLS, verified with a CA file.
   *
   * @param caFile the bootstrap trust bundle
   * @return the settings
   */
  public CertificateSettings withControlCaFile(Path caFile) {
    return new CertificateSettings(dir, spiffeId, requireNonNull(caFile, "caFile"));
  }

  /**
   * The control service's identity in this proxy's trust domain.
   *
   * @return {@code spiffe://<trust-domain>/ns/plugmesh/sa/control}
   */
  public String controlIdentity() {
    return "spiffe://" + URI.create(spiffeId).getHost() + "/ns/plugmesh/sa/control";
  }

  /**
   * The identity {@code spiffe://<trustDomain>/ns/<namespace>/sa/<service>}.
   *
   * @param dir the folder of the files
   * @param trustDomain the trust domain
   * @param namespace the namespace
   * @param service the service (service account)
   * @return the settings
   */
  public static CertificateSettings of(
      Path dir, String trustDomain, String namespace, String service) {
    return new CertificateSettings(
        dir, "spiffe://" + trustDomain + "/ns/" + namespace + "/sa/" + service);
  }

  /**
   * The certificate chain file.
   *
   * @return the path
   */
  public Path certificateFile() {
    return dir.resolve(CERTIFICATE_FILE);
  }

  /**
   * The private key file.
   *
   * @return the path
   */
  public Path keyFile() {
    return dir.resolve(KEY_FILE);
  }

  /**
   * The trust bundle file.
   *
   * @return the path
   */
  public Path bundleFile() {
    return dir.resolve(BUNDLE_FILE);
  }
}
