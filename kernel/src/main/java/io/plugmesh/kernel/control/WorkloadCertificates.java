package io.plugmesh.kernel.control;

import static java.util.Objects.requireNonNull;

import io.grpc.Channel;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.plugmesh.config.io.AtomicFiles;
import io.plugmesh.control.api.v1.CertificateRequest;
import io.plugmesh.control.api.v1.CertificateResponse;
import io.plugmesh.control.api.v1.CertificatesGrpc;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The proxy's workload certificate from the control service (the mesh CA): makes a key pair locally
 * (the private key never leaves the proxy), sends a certificate request, and writes key,
 * certificate chain and trust bundle into {@link CertificateSettings#dir()}, each by an atomic
 * rename (key first), where the TLS config points; the TLS contexts pick the files up. Renews at
 * {@link #RENEW_AT} of the remaining lifetime; when the control service is away it keeps the last
 * certificate and retries with backoff.
 */
public final class WorkloadCertificates implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(WorkloadCertificates.class);

  /** Renew when this fraction of the lifetime left at issue has passed: 0.5. */
  public static final double RENEW_AT = 0.5;

  /** First retry delay after a failed renewal: 200 ms, doubling up to {@link #MAX_RETRY}. */
  public static final Duration MIN_RETRY = Duration.ofMillis(200);

  /** Largest retry delay after failed renewals: 10 s. */
  public static final Duration MAX_RETRY = Duration.ofSeconds(10);

  /** How long one signing request may take: 10 s. */
  public static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);

  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private final Supplier<? extends Channel> channels;
  private final String token;
  private final CertificateSettings settings;
  private final ScheduledExecutorService timer;
  private final AtomicLong renewals = new AtomicLong();
  private volatile Instant notAfter;
  private Duration retry = MIN_RETRY;
  private volatile boolean closed;

  private WorkloadCertificates(
      Supplier<? extends Channel> channels, String token, CertificateSettings settings) {
    this.channels = requireNonNull(channels, "channels");
    this.token = token;
    this.settings = requireNonNull(settings, "settings");
    this.timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "plugmesh-workload-certificates");
              t.setDaemon(true);
              return t;
            });
  }

  /**
   * Starts keeping a workload certificate: a valid one already on disk is used until its renewal
   * time; otherwise one is requested at once (in the background; see {@link #ensure(Channel)}).
   *
   * @param channels a channel to a control replica for each attempt (may rotate through replicas)
   * @param token the join token, or null
   * @param settings where the files go and the identity to ask for
   * @return the running renewer
   * @throws IOException when the folder cannot be created
   */
  public static WorkloadCertificates start(
      Supplier<? extends Channel> channels, String token, CertificateSettings settings)
      throws IOException {
    WorkloadCertificates w = new WorkloadCertificates(channels, token, settings);
    Files.createDirectories(settings.dir());
    w.notAfter = w.onDisk();
    w.scheduleNext();
    return w;
  }

  /**
   * When the current certificate expires.
   *
   * @return the expiry, or null before any certificate
   */
  public Instant notAfter() {
    return notAfter;
  }

  /**
   * How many certificates were obtained so far.
   *
   * @return the count
   */
  public long renewals() {
    return renewals.get();
  }

  /**
   * Makes sure a valid certificate is on disk, requesting one over {@code channel} if not.
   *
   * @param channel a channel to a control replica
   * @throws IOException when there is none and none can be obtained (e.g. a refused join token)
   */
  public void ensure(Channel channel) throws IOException {
    Instant expiry = notAfter;
    if (expiry != null && expiry.isAfter(Instant.now())) {
      return;
    }
    try {
      renew(channel);
    } catch (StatusRuntimeException e) {
      throw new IOException("no workload certificate: " + e.getStatus(), e);
    }
  }

  private Instant onDisk() {
    try {
      if (!Files.exists(settings.certificateFile()) || !Files.exists(settings.keyFile())) {
        return null;
      }
      X509Certificate cert = readChain(Files.readString(settings.certificateFile())).get(0);
      Instant expiry = cert.getNotAfter().toInstant();
      return expiry.isAfter(Instant.now()) ? expiry : null;
    } catch (IOException | RuntimeException e) {
      log.warn("ignoring the workload certificate on disk: {}", e.toString());
      return null;
    }
  }

  private void scheduleNext() {
    if (closed) {
      return;
    }
    Instant expiry = notAfter;
    long delay = 0;
    if (expiry != null) {
      long left = Duration.between(Instant.now(), expiry).toMillis();
      delay = Math.max(0, (long) (left * RENEW_AT));
    }
    timer.schedule(this::renewInBackground, delay, TimeUnit.MILLISECONDS);
  }

  private void renewInBackground() {
    if (closed) {
      return;
    }
    try {
      renew(channels.get());
      retry = MIN_RETRY;
      scheduleNext();
    } catch (RuntimeException | IOException e) {
      if (closed) {
        return;
      }
      Duration wait = retry;
      Instant expiry = notAfter;
      if (expiry != null) {
        // Never wait past a good part of what is left.
        long quarter = Duration.between(Instant.now(), expiry).toMillis() / 4;
        wait =
            Duration.ofMillis(Math.max(MIN_RETRY.toMillis(), Math.min(wait.toMillis(), quarter)));
      }
      log.warn(
          "cannot renew the workload certificate (valid until {}), retrying in {} ms: {}",
          expiry,
          wait.toMillis(),
          e.toString());
      retry = retry.multipliedBy(2).compareTo(MAX_RETRY) > 0 ? MAX_RETRY : retry.multipliedBy(2);
      timer.schedule(this::renewInBackground, wait.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  private synchronized void renew(Channel channel) throws IOException {
    KeyPair keys = generateKeys();
    CertificatesGrpc.CertificatesBlockingStub stub = CertificatesGrpc.newBlockingStub(channel);
    if (token != null) {
      Metadata headers = new Metadata();
      headers.put(AUTHORIZATION, "Bearer " + token);
      stub = stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
    }
    CertificateResponse r =
        stub.withDeadlineAfter(REQUEST_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
            .sign(
                CertificateRequest.newBuilder()
                    .setCsrPem(CsrEncoder.pem(keys, settings.spiffeId()))
                    .build());
    List<X509Certificate> chain = readChain(r.getCertificateChainPem());
    if (!chain.get(0).getPublicKey().equals(keys.getPublic())) {
      throw new IOException("the control service returned a certificate for another key");
    }
    if (readChain(r.getTrustBundlePem()).isEmpty()) {
      throw new IOException("the control service returned an empty trust bundle");
    }
    AtomicFiles.write(settings.bundleFile(), ascii(r.getTrustBundlePem()));
    AtomicFiles.writePrivate(settings.keyFile(), ascii(privateKeyPem(keys)));
    AtomicFiles.write(settings.certificateFile(), ascii(r.getCertificateChainPem()));
    notAfter = chain.get(0).getNotAfter().toInstant();
    renewals.incrementAndGet();
    log.info("workload certificate for {} valid until {}", r.getSpiffeId(), notAfter);
  }

  private static KeyPair generateKeys() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"));
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot generate an EC P-256 key pair", e);
    }
  }

  private static String privateKeyPem(KeyPair keys) {
    return "-----BEGIN PRIVATE KEY-----\n"
        + Base64.getMimeEncoder(64, new byte[] {'\n'})
            .encodeToString(keys.getPrivate().getEncoded())
        + "\n-----END PRIVATE KEY-----\n";
  }

  private static List<X509Certificate> readChain(String pem) throws IOException {
    try {
      List<X509Certificate> out =
          CertificateFactory.getInstance("X.509")
              .generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.UTF_8)))
              .stream()
              .map(c -> (X509Certificate) c)
              .toList();
      if (out.isEmpty()) {
        throw new IOException("no certificate in the PEM text");
      }
      return out;
    } catch (GeneralSecurityException e) {
      throw new IOException("unreadable certificates: " + e.getMessage(), e);
    }
  }

  private static byte[] ascii(String pem) {
    return pem.getBytes(StandardCharsets.US_ASCII);
  }

  @Override
  public void close() {
    closed = true;
    timer.shutdownNow();
    try {
      timer.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
