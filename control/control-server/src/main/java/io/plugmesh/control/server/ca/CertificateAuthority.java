package io.plugmesh.control.server.ca;

import static java.util.Objects.requireNonNull;

import io.plugmesh.config.io.AtomicFiles;
import io.plugmesh.meshca.MeshCa;
import io.plugmesh.meshca.Pem;
import io.plugmesh.meshca.SpiffeId;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mesh certificate authority of the control service: one signing root and the roots trusted
 * with it. A root rotates with an overlap window in three steps: {@link #addRoot()} (the new root
 * is trusted, the old one still signs; proxies pick the bundle up at their next renewal), {@link
 * #signWithNewestRoot()} (new certificates chain to the new root; both still trusted), then {@link
 * #retireOldRoots()} (only the signing root is trusted).
 *
 * <p>With a directory, roots live there as {@code root-<n>.pem} and {@code root-<n>.key} (0600),
 * the signing one named in {@code signing}; a root is generated on first start. With configured
 * files, the root is loaded from them and rotation is kept in memory.
 */
public final class CertificateAuthority {
  private static final Logger log = LoggerFactory.getLogger(CertificateAuthority.class);

  /** Default trust domain: {@code cluster.local}. */
  public static final String DEFAULT_TRUST_DOMAIN = "cluster.local";

  /** Default workload certificate lifetime: 24 h. */
  public static final Duration DEFAULT_WORKLOAD_TTL = MeshCa.DEFAULT_WORKLOAD_TTL;

  /** The most roots trusted at once. */
  public static final int MAX_ROOTS = 4;

  private static final Pattern ROOT_FILE = Pattern.compile("root-(\\d{1,6})\\.pem");

  /** One root with its number (its file name in a directory). */
  private record Root(int number, MeshCa ca) {}

  private final String trustDomain;
  private final Duration ttl;
  private final Duration rootValidity;
  private final Path dir;
  private final List<Root> roots = new ArrayList<>();
  private Root signing;

  private CertificateAuthority(String trustDomain, Duration ttl, Duration rootValidity, Path dir) {
    this.trustDomain = SpiffeId.checkTrustDomain(trustDomain);
    this.ttl = requireNonNull(ttl, "ttl");
    if (ttl.isNegative() || ttl.isZero() || ttl.compareTo(MeshCa.MAX_WORKLOAD_TTL) > 0) {
      throw new IllegalArgumentException(
          "workload ttl: " + ttl + " (expected: > 0 and at most " + MeshCa.MAX_WORKLOAD_TTL + ")");
    }
    this.rootValidity = rootValidity == null ? MeshCa.DEFAULT_ROOT_VALIDITY : rootValidity;
    this.dir = dir;
  }

  /**
   * A CA whose roots live in a directory; the first root is generated when there is none.
   *
   * @param dir the directory (created if missing)
   * @param trustDomain the trust domain of a generated root
   * @param ttl the workload certificate lifetime
   * @return the CA
   * @throws IOException when the directory cannot be read or written
   */
  public static CertificateAuthority open(Path dir, String trustDomain, Duration ttl)
      throws IOException {
    CertificateAuthority ca =
        new CertificateAuthority(trustDomain, ttl, null, requireNonNull(dir, "dir"));
    ca.loadDirectory();
    return ca;
  }

  /**
   * A CA with a root from configured files.
   *
   * @param certificateFile the root certificate (PEM)
   * @param keyFile its private key (PEM)
   * @param ttl the workload certificate lifetime
   * @return the CA
   * @throws IOException when a file cannot be read
   */
  public static CertificateAuthority load(Path certificateFile, Path keyFile, Duration ttl)
      throws IOException {
    MeshCa root =
        MeshCa.load(
            Files.readString(certificateFile, StandardCharsets.UTF_8),
            Files.readString(keyFile, StandardCharsets.UTF_8));
    CertificateAuthority ca = new CertificateAuthority(root.trustDomain(), ttl, null, null);
    ca.signing = new Root(1, root);
    ca.roots.add(ca.signing);
    return ca;
  }

  private void loadDirectory() throws IOException {
    Files.createDirectories(dir);
    List<Path> certs = new ArrayList<>();
    try (var stream = Files.newDirectoryStream(dir, "root-*.pem")) {
      stream.forEach(certs::add);
    }
    for (Path cert : certs) {
      Matcher m = ROOT_FILE.matcher(cert.getFileName().toString());
      if (!m.matches()) {
        continue;
      }
      int n = Integer.parseInt(m.group(1));
      MeshCa ca =
          MeshCa.load(
              Files.readString(cert, StandardCharsets.UTF_8),
              Files.readString(dir.resolve("root-" + n + ".key"), StandardCharsets.UTF_8),
              trustDomain);
      roots.add(new Root(n, ca));
    }
    roots.sort((a, b) -> Integer.compare(a.number(), b.number()));
    if (roots.isEmpty()) {
      Root first = new Root(1, MeshCa.generateRoot(trustDomain, rootValidity));
      persist(first);
      roots.add(first);
      log.info("generated the mesh root CA for trust domain '{}' in {}", trustDomain, dir);
    }
    Path signingFile = dir.resolve("signing");
    int wanted =
        Files.exists(signingFile)
            ? Integer.parseInt(Files.readString(signingFile, StandardCharsets.UTF_8).strip())
            : roots.get(0).number();
    signing = roots.stream().filter(r -> r.number() == wanted).findFirst().orElse(roots.get(0));
    writeSigning();
  }

  /**
   * The trust domain.
   *
   * @return e.g. {@code cluster.local}
   */
  public String trustDomain() {
    return trustDomain;
  }

  /**
   * The workload certificate lifetime.
   *
   * @return the ttl
   */
  public Duration ttl() {
    return ttl;
  }

  /**
   * Signs a certificate request for an identity.
   *
   * @param csrPem the request
   * @param identity who the caller is (from its token, never from the request)
   * @return the certificate
   * @throws io.plugmesh.meshca.CsrRejectedException when the request asks for anything else
   */
  public X509Certificate sign(String csrPem, Identity identity) {
    MeshCa ca;
    synchronized (this) {
      ca = signing.ca();
    }
    return ca.sign(csrPem, identity.spiffeId(trustDomain), ttl);
  }

  /**
   * Signs a certificate request for any identity of this trust domain with a given lifetime; for
   * the control service's own certificate, never for proxies.
   *
   * @param csrPem the request
   * @param identity the identity
   * @param lifetime how long it is valid
   * @return the certificate
   */
  X509Certificate signAs(String csrPem, SpiffeId identity, Duration lifetime) {
    MeshCa ca;
    synchronized (this) {
      ca = signing.ca();
    }
    return ca.sign(csrPem, identity, lifetime);
  }

  /**
   * Every trusted root, oldest first.
   *
   * @return the roots
   */
  public synchronized List<X509Certificate> trustBundle() {
    return roots.stream().map(r -> r.ca().certificate()).toList();
  }

  /**
   * The trusted roots in PEM.
   *
   * @return the bundle
   */
  public String trustBundlePem() {
    return Pem.certificates(trustBundle());
  }

  /**
   * The root that signs now.
   *
   * @return its certificate
   */
  public synchronized X509Certificate signingRoot() {
    return signing.ca().certificate();
  }

  /**
   * Rotation step 1: generates a new root and trusts it beside the others; the current root keeps
   * signing.
   *
   * @return the new root's certificate
   * @throws IOException when it cannot be stored
   */
  public synchronized X509Certificate addRoot() throws IOException {
    if (roots.size() >= MAX_ROOTS) {
      throw new IllegalStateException(
          roots.size() + " roots trusted (expected: fewer than " + MAX_ROOTS + "; retire some)");
    }
    Root added =
        new Root(
            roots.get(roots.size() - 1).number() + 1,
            MeshCa.generateRoot(trustDomain, rootValidity));
    if (dir != null) {
      persist(added);
    }
    roots.add(added);
    log.info("added mesh root #{}; root #{} still signs", added.number(), signing.number());
    return added.ca().certificate();
  }

  /**
   * Rotation step 2: the newest root signs from now on; every root stays trusted.
   *
   * @throws IOException when the choice cannot be stored
   */
  public synchronized void signWithNewestRoot() throws IOException {
    signing = roots.get(roots.size() - 1);
    if (dir != null) {
      writeSigning();
    }
    log.info("mesh root #{} signs now", signing.number());
  }

  /**
   * Rotation step 3: only the signing root stays trusted.
   *
   * @return how many roots were retired
   * @throws IOException when their files cannot be removed
   */
  public synchronized int retireOldRoots() throws IOException {
    int retired = 0;
    for (Root r : List.copyOf(roots)) {
      if (r != signing) {
        roots.remove(r);
        retired++;
        if (dir != null) {
          Files.deleteIfExists(dir.resolve("root-" + r.number() + ".pem"));
          Files.deleteIfExists(dir.resolve("root-" + r.number() + ".key"));
        }
      }
    }
    log.info("retired {} mesh root(s); root #{} alone is trusted", retired, signing.number());
    return retired;
  }

  private void persist(Root root) throws IOException {
    AtomicFiles.writePrivate(
        dir.resolve("root-" + root.number() + ".key"), utf8(root.ca().privateKeyPem()));
    AtomicFiles.write(
        dir.resolve("root-" + root.number() + ".pem"), utf8(root.ca().certificatePem()));
  }

  private void writeSigning() throws IOException {
    AtomicFiles.write(dir.resolve("signing"), utf8(signing.number() + "\n"));
  }

  private static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
