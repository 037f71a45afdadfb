package io.plugmesh.kernel.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.plugmesh.config.Limits;
import io.plugmesh.kernel.testing.KernelFixture;
import io.plugmesh.kernel.testing.TestUpstream;
import io.plugmesh.meshca.MeshCa;
import io.plugmesh.meshca.SpiffeId;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two sidecars on loopback talk mutual TLS with workload certificates from a mesh CA: the caller's
 * outbound cluster originates mTLS to the callee's inbound listener, which verifies the caller and
 * tells its upstream who called. Plaintext, certificate-less and foreign-CA clients are refused in
 * strict mode; permissive accepts both. Short-lived certificates and the root rotate under steady
 * load with no failed request.
 */
class MtlsIT {
  static final Duration LONG_TTL = Duration.ofHours(1);
  static final Duration SOCKET_TIMEOUT = Duration.ofSeconds(10);

  /** Workload certificates of the rotation test live this long... */
  static final Duration SHORT_TTL = Duration.ofSeconds(6);

  /** ...and are replaced this often, several times over one test. */
  static final Duration ROTATE_EVERY = Duration.ofSeconds(2);

  static final int ROTATIONS = 4;
  static final int LOAD_THREADS = 2;

  /** Upper bound on requests per load thread, so every loop ends. */
  static final int MAX_REQUESTS_PER_THREAD = 200_000;

  /** Time to let the proxies' pollers see changed files (a few poll intervals). */
  static final Duration RELOAD_WAIT = CertificateSource.POLL_INTERVAL.multipliedBy(3);

  static final SpiffeId CALLER = MeshFiles.id("frontend");
  static final SpiffeId CALLEE = MeshFiles.id("reviews");

  @TempDir Path dir;

  TestUpstream app;
  KernelFixture callee;
  KernelFixture caller;
  final List<AutoCloseable> closers = new ArrayList<>();

  @AfterEach
  void stop() throws Exception {
    for (int i = closers.size() - 1; i >= 0; i--) {
      closers.get(i).close();
    }
  }

  /** File names of one workload. */
  record Files4(Path cert, Path key, Path bundle) {}

  Files4 files(String name) {
    return new Files4(
        dir.resolve(name + ".pem"), dir.resolve(name + "-key.pem"), dir.resolve(name + "-ca.pem"));
  }

  /** Starts the app, the callee sidecar (inbound, given mode) and the caller sidecar. */
  void startMesh(String mode, String expectedServerIdentity) throws Exception {
    startMesh(mode, expectedServerIdentity, "http1");
  }

  void startMesh(String mode, String expectedServerIdentity, String protocol) throws Exception {
    Files4 b = files("callee");
    Files4 a = files("caller");
    app = TestUpstream.http1("app");
    closers.add(app);
    callee =
        KernelFixture.start(
            KernelFixture.withJsonAccessLog(
                KernelFixture.settings(Limits.DEFAULTS), dir.resolve("callee-access.log")),
            """
            listeners:
              - name: inbound
                address: 127.0.0.1:0
                tls: {certificateFile: "%s", privateKeyFile: "%s", clientCaFile: "%s", mode: %s}
            clusters:
              - {name: app, endpoints: [{address: %s}]}
            routes:
              - {name: to-app, match: {pathPrefix: /}, cluster: app}
            """
                .formatted(b.cert(), b.key(), b.bundle(), mode, app.address()));
    closers.add(callee);
    caller =
        KernelFixture.start(
            """
            listeners:
              - {name: outbound, address: 127.0.0.1:0}
            clusters:
              - name: reviews
                protocol: %s
                endpoints: [{address: 127.0.0.1:%d}]
                tls:
                  certificateFile: "%s"
                  privateKeyFile: "%s"
                  caFile: "%s"
                  serverIdentity: "%s"
            routes:
              - {name: to-reviews, match: {pathPrefix: /}, cluster: reviews}
            """
                .formatted(
                    protocol,
                    callee.port("inbound"),
                    a.cert(),
                    a.key(),
                    a.bundle(),
                    expectedServerIdentity));
    closers.add(caller);
  }

  void writeWorkloads(MeshCa ca, Duration ttl, MeshCa... bundle) throws IOException {
    Files4 b = files("callee");
    Files4 a = files("caller");
    MeshFiles.bundle(b.bundle(), bundle);
    MeshFiles.bundle(a.bundle(), bundle);
    MeshFiles.write(ca, CALLEE, ttl, b.cert(), b.key());
    MeshFiles.write(ca, CALLER, ttl, a.cert(), a.key());
  }

  @Test
  void theUpstreamSeesTheCallersIdentitySetByTheCalleeSidecar() throws Exception {
    MeshCa ca = MeshCa.generateRoot(MeshFiles.TRUST_DOMAIN, Duration.ofDays(1));
    writeWorkloads(ca, LONG_TTL, ca);
    startMesh("strict", CALLEE.uri());

    HttpResponse<String> r =
        caller.get("outbound", "/echo", "x-forwarded-client-cert", "URI=spiffe://forged/ns/x/sa/y");

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(app.last().header("x-forwarded-client-cert"))
        .isEqualTo("By=" + CALLEE.uri() + ";URI=" + CALLER.uri());
    assertThat(app.last().headers().get("x-forwarded-client-cert")).hasSize(1);
    Path log = dir.resolve("callee-access.log");
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertThat(Files.readString(log))
                    .contains("\"peer_identity\":\"" + CALLER.uri() + "\""));
  }

  @Test
  void http2BetweenSidecarsIsNegotiatedByAlpn() throws Exception {
    MeshCa ca = MeshCa.generateRoot(MeshFiles.TRUST_DOMAIN, Duration.ofDays(1));
    writeWorkloads(ca, LONG_TTL, ca);
    startMesh("strict", CALLEE.uri(), "http2");

    assertThat(caller.get("outbound", "/echo").statusCode()).isEqualTo(200);
    assertThat(app.last().header("x-forwarded-client-cert"))
        .isEqualTo("By=" + CALLEE.uri() + ";URI=" + CALLER.uri());
    Path log = dir.resolve("callee-access.log");
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(() -> assertThat(Files.readString(log)).contains("\"HTTP/2\""));
  }

  @Test
  void theCallerRefusesACalleeWithAnotherIdentity() throws Exception {
    MeshCa ca = MeshCa.generateRoot(MeshFiles.TRUST_DOMAIN, Duration.ofDays(1));
    writeWorkloads(ca, LONG_TTL, ca);
    startMesh("strict", MeshFiles.id("ratings").uri());

    HttpResponse<String> r = caller.get("outbound", "/echo");

    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(r.body()).contains("server identity " + CALLEE.uri());
    assertThat(app.requests()).isZero();
  }

  @Test
  void strictRefusesPlaintextCertificateLessAndForeignClients() throws Exception {
    MeshCa ca = MeshCa.generateRoot(MeshFiles.TRUST_DOMAIN, Duration.ofDays(1));
    writeWorkloads(ca, LONG_TTL, ca);
    startMesh("strict", CALLEE.uri());
    int port = callee.port("inbound");

    assertThat(plaintextStatus(port)).as("plaintext").isEqualTo(-1);
    assertThatThrownBy(() -> tlsStatus(port, MeshFiles.clientContext(null, ca)))
        .as("no client certificate")
        .isInstanceOf(IOException.class);
    MeshCa foreign = MeshCa.generateRoot(MeshFiles.TRUST_DOMAIN, Duration.ofDays(1));
    MeshFiles.Issued impostor = MeshFiles.issue(foreign, CALLER, LONG_TTL);
    assertThatThrownBy(() -> tlsStatus(port, MeshFiles.clientContext(impostor, ca)))
        .as("a client certificate from another CA")
        .isInstanceOf(IOException.class);
    // The same client with a certificate of the mesh CA gets through: the refusals are about trust.
    MeshFiles.Issued member = MeshFiles.issue(ca, CALLER, LONG_TTL);
    assertThat(tlsStatus(port, MeshFiles.clientContext(member, ca))).isEqualTo(200);
    assertThat(app.requests()).isEqualTo(1);
  }

  @Test
  void permissiveAcceptsPlaintextAndMutualTlsOnOnePort() throws Exception {
    MeshCa ca = MeshCa.generateRoot(MeshFiles.TRUST_DOMAIN, Duration.ofDays(1));
    writeWorkloads(ca, LONG_TTL, ca);
    startMesh("permissive", CALLEE.uri());
    int port = callee.port("inbound");

    assertThat(plaintextStatus(port)).isEqualTo(200);
    assertThat(app.last().header("x-forwarded-client-cert")).as("forged copy stripped").isNull();

    MeshFiles.Issued member = MeshFiles.issue(ca, MeshFiles.id("batch"), LONG_TTL);
    assertThat(tlsStatus(port, MeshFiles.clientContext(member, ca))).isEqualTo(200);
    assertThat(app.last().header("x-forwarded-client-cert"))
        .isEqualTo("By=" + CALLEE.uri() + ";URI=" + MeshFiles.id("batch").uri());

    assertThat(caller.get("outbound", "/echo").statusCode()).isEqualTo(200);
    assertThat(app.last().header("x-forwarded-client-cert")).endsWith("URI=" + CALLER.uri());
    MeshCa foreign = MeshCa.generateRoot(MeshFiles.TRUST_DOMAIN, Duration.ofDays(1));
    MeshFiles.Issued impostor = MeshFiles.issue(foreign, CALLER, LONG_TTL);
    assertThatThrownBy(() -> tlsStatus(port, MeshFiles.clientContext(impostor, ca)))
        .as("a presented certificate is still verified")
        .isInstanceOf(IOException.class);
  }

  @Test
  void shortCertificatesRotateUnderLoadWithoutFailedRequests() throws Exception {
    MeshCa ca = MeshCa.generateRoot(MeshFiles.TRUST_DOMAIN, Duration.ofDays(1));
    writeWorkloads(ca, SHORT_TTL, ca);
    startMesh("strict", CALLEE.uri());
    Files4 b = files("callee");
    Files4 a = files("caller");

    X509Certificate last = null;
    try (Load load = new Load(caller)) {
      for (int i = 0; i < ROTATIONS; i++) {
        Thread.sleep(ROTATE_EVERY.toMillis());
        last = MeshFiles.write(ca, CALLEE, SHORT_TTL, b.cert(), b.key()).cert();
        MeshFiles.write(ca, CALLER, SHORT_TTL, a.cert(), a.key());
      }
      Thread.sleep(RELOAD_WAIT.toMillis());
      load.assertNoFailures();
    }
    // The load outlived the first certificates, so later connections used rotated ones, and a new
    // handshake sees the latest server certificate.
    assertThat((long) ROTATE_EVERY.toMillis() * ROTATIONS).isGreaterThan(SHORT_TTL.toMillis());
    assertThat(serverCertificate(callee.port("inbound"), a, ca)).isEqualTo(last);
    assertThat(app.last().header("x-forwarded-client-cert")).endsWith("URI=" + CALLER.uri());
  }

  @Test
  void rootRotationWithAnOverlapWindowKeepsTrafficFlowing() throws Exception {
    MeshCa oldRoot = MeshCa.generateRoot(MeshFiles.TRUST_DOMAIN, Duration.ofDays(1));
    MeshCa newRoot = MeshCa.generateRoot(MeshFiles.TRUST_DOMAIN, Duration.ofDays(1));
    writeWorkloads(oldRoot, LONG_TTL, oldRoot);
    startMesh("strict", CALLEE.uri());
    Files4 b = files("callee");
    Files4 a = files("caller");
    int port = callee.port("inbound");
    MeshFiles.Issued newProbe = MeshFiles.issue(newRoot, MeshFiles.id("probe"), LONG_TTL);
    MeshFiles.Issued oldProbe = MeshFiles.issue(oldRoot, MeshFiles.id("probe"), LONG_TTL);

    X509Certificate calleeCert;
    try (Load load = new Load(caller)) {
      // 1. Trust both roots.
      MeshFiles.bundle(b.bundle(), oldRoot, newRoot);
      MeshFiles.bundle(a.bundle(), oldRoot, newRoot);
      awaitStatus(port, MeshFiles.clientContext(newProbe, oldRoot), 200);
      Thread.sleep(RELOAD_WAIT.toMillis());
      // 2. Leaves from the new root.
      calleeCert = MeshFiles.write(newRoot, CALLEE, LONG_TTL, b.cert(), b.key()).cert();
      MeshFiles.write(newRoot, CALLER, LONG_TTL, a.cert(), a.key());
      Thread.sleep(RELOAD_WAIT.toMillis());
      // 3. Drop the old root.
      MeshFiles.bundle(b.bundle(), newRoot);
      MeshFiles.bundle(a.bundle(), newRoot);
      awaitRefused(port, MeshFiles.clientContext(oldProbe, newRoot));
      Thread.sleep(RELOAD_WAIT.toMillis());
      load.assertNoFailures();
    }
    assertThat(serverCertificate(port, a, newRoot)).isEqualTo(calleeCert);
    assertThat(caller.get("outbound", "/echo").statusCode()).isEqualTo(200);
  }

  // ---- helpers

  X509Certificate serverCertificate(int port, Files4 client, MeshCa root) throws Exception {
    MeshFiles.Issued me = MeshFiles.issue(root, MeshFiles.id("probe"), LONG_TTL);
    try (SSLSocket s = tlsSocket(port, MeshFiles.clientContext(me, root))) {
      s.startHandshake();
      return (X509Certificate) s.getSession().getPeerCertificates()[0];
    }
  }

  void awaitStatus(int port, SSLContext ctx, int status) {
    Awaitility.await()
        .atMost(Duration.ofSeconds(20))
        .ignoreExceptions()
        .until(() -> tlsStatus(port, ctx) == status);
  }

  void awaitRefused(int port, SSLContext ctx) {
    Awaitility.await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () -> {
              try {
                tlsStatus(port, ctx);
                return false;
              } catch (IOException e) {
                return true;
              }
            });
  }

  static int plaintextStatus(int port) throws IOException {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), (int) SOCKET_TIMEOUT.toMillis());
      s.setSoTimeout((int) SOCKET_TIMEOUT.toMillis());
      return exchange(s);
    } catch (IOException e) {
      return -1;
    }
  }

  static SSLSocket tlsSocket(int port, SSLContext ctx) throws IOException {
    SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket();
    s.connect(new InetSocketAddress("127.0.0.1", port), (int) SOCKET_TIMEOUT.toMillis());
    s.setSoTimeout((int) SOCKET_TIMEOUT.toMillis());
    return s;
  }

  /** One HTTP/1.1 request over TLS; an IOException when the proxy refuses the client. */
  static int tlsStatus(int port, SSLContext ctx) throws IOException {
    try (SSLSocket s = tlsSocket(port, ctx)) {
      s.startHandshake();
      int status = exchange(s);
      if (status < 0) {
        throw new IOException("connection closed without a response");
      }
      return status;
    }
  }

  /** Sends a GET with a forged client-cert header and reads the status, -1 when none came. */
  static int exchange(Socket s) throws IOException {
    OutputStream out = s.getOutputStream();
    out.write(
        ("GET /echo HTTP/1.1\r\nhost: reviews\r\nconnection: close\r\n"
                + "x-forwarded-client-cert: URI=spiffe://forged/ns/x/sa/y\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
    out.flush();
    InputStream in = s.getInputStream();
    byte[] head = in.readNBytes(12);
    if (head.length < 12) {
      return -1;
    }
    String line = new String(head, StandardCharsets.US_ASCII);
    in.readAllBytes();
    return Integer.parseInt(line.substring(9, 12));
  }

  /** Steady requests through the caller sidecar on a few threads until closed. */
  static final class Load implements AutoCloseable {
    final AtomicBoolean running = new AtomicBoolean(true);
    final AtomicInteger ok = new AtomicInteger();
    final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    final List<Thread> threads = new ArrayList<>();

    Load(KernelFixture caller) {
      for (int t = 0; t < LOAD_THREADS; t++) {
        Thread thread =
            new Thread(
                () -> {
                  for (int i = 0; i < MAX_REQUESTS_PER_THREAD && running.get(); i++) {
                    try {
                      HttpResponse<String> r = caller.get("outbound", "/echo");
                      if (r.statusCode() == 200) {
                        ok.incrementAndGet();
                      } else {
                        failures.add(r.statusCode() + " " + r.body());
                      }
                    } catch (Exception e) {
                      failures.add(e.toString());
                    }
                  }
                },
                "mtls-load-" + t);
        thread.start();
        threads.add(thread);
      }
    }

    void assertNoFailures() {
      assertThat(failures).as("failed requests").isEmpty();
      assertThat(ok.get()).as("requests served").isPositive();
    }

    @Override
    public void close() throws InterruptedException {
      running.set(false);
      for (Thread t : threads) {
        t.join(SOCKET_TIMEOUT.toMillis() * 2);
      }
    }
  }
}
