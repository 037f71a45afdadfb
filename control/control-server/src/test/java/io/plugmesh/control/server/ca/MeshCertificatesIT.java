package io.plugmesh.control.server.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.plugmesh.config.Limits;
import io.plugmesh.config.ProxySettings;
import io.plugmesh.control.server.ControlServer;
import io.plugmesh.control.server.testing.ControlFixture;
import io.plugmesh.control.server.testing.TestFilters;
import io.plugmesh.kernel.control.CertificateSettings;
import io.plugmesh.kernel.control.ControlClient;
import io.plugmesh.kernel.control.ControlSettings;
import io.plugmesh.kernel.control.WorkloadCertificates;
import io.plugmesh.kernel.runtime.Kernel;
import io.plugmesh.kernel.testing.KernelFixture;
import io.plugmesh.kernel.testing.TestUpstream;
import io.plugmesh.meshca.Pem;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proxies bootstrap with join tokens and get workload certificates from the control service: a bad
 * token gets nothing, short-lived certificates renew through the control service under steady mTLS
 * load between two sidecars with no failed request, and a root rotation with overlap keeps traffic
 * flowing.
 */
class MeshCertificatesIT {
  static final String TD = "mesh.test";
  static final String REVIEWS_TOKEN = "reviews-join-token-0123456789";
  static final String FRONTEND_TOKEN = "frontend-join-token-0123456789";

  /** Workload certificates live this long, so they renew every few seconds. */
  static final Duration SHORT_TTL = Duration.ofSeconds(6);

  static final int LOAD_THREADS = 2;
  static final int MAX_REQUESTS_PER_THREAD = 200_000;

  @TempDir Path dir;
  final List<AutoCloseable> closers = new ArrayList<>();
  ControlServer server;

  @AfterEach
  void stop() throws Exception {
    for (int i = closers.size() - 1; i >= 0; i--) {
      closers.get(i).close();
    }
  }

  void startServer(Duration ttl, String storeYaml) throws Exception {
    Path store = dir.resolve("store");
    Files.createDirectories(store);
    if (storeYaml != null) {
      Files.writeString(store.resolve("mesh.yaml"), storeYaml);
    }
    server =
        ControlServer.start(
            new ControlServer.Options(
                "127.0.0.1", 0, -1, ControlFixture.TOKEN, null, store, List.of(), null, "ca", null),
            new SecurityOptions(
                TD,
                null,
                null,
                null,
                ttl,
                JoinTokens.of(
                    Map.of(
                        REVIEWS_TOKEN, new Identity("default", "reviews"),
                        FRONTEND_TOKEN, new Identity("default", "frontend")))));
    closers.add(server);
  }

  record Proxy(Kernel kernel, ControlClient client) implements AutoCloseable {
    @Override
    public void close() {
      client.close();
      kernel.close();
    }
  }

  Proxy proxy(String node, String service, String token, CertificateSettings certs)
      throws Exception {
    Kernel kernel =
        Kernel.start(
            new ProxySettings(
                new ProxySettings.Admin("127.0.0.1", 0),
                Path.of("target", "no-plugins"),
                null,
                "mesh",
                new ProxySettings.AccessLog(ProxySettings.AccessLog.Format.OFF, null),
                Limits.DEFAULTS),
            null,
            TestFilters.all());
    ControlSettings control =
        new ControlSettings(
            List.of(ControlFixture.address(server)),
            node,
            service,
            Map.of(),
            token,
            null,
            Duration.ofMillis(50),
            Duration.ofMillis(500));
    Proxy p = new Proxy(kernel, ControlClient.start(kernel, control, certs));
    closers.add(p);
    return p;
  }

  CertificateSettings certs(String name, String service) {
    return CertificateSettings.of(dir.resolve(name + "-certs"), TD, "default", service);
  }

  @Test
  void aProxyWithABadJoinTokenOrAnotherServiceGetsNothing() throws Exception {
    Path reviewsCerts = dir.resolve("good-certs");
    startServer(
        Duration.ofHours(1),
        """
        listeners:
          - name: inbound
            address: "127.0.0.1:0"
            tls: {certificateFile: "%s", privateKeyFile: "%s", clientCaFile: "%s", mode: strict}
            selector: {service: reviews}
        clusters:
          - {name: app, endpoints: [{address: "127.0.0.1:9"}]}
        routes:
          - {name: to-app, match: {pathPrefix: /}, cluster: app}
        """
            .formatted(
                reviewsCerts.resolve("cert.pem"),
                reviewsCerts.resolve("key.pem"),
                reviewsCerts.resolve("bundle.pem")));

    Proxy bad = proxy("bad", "reviews", "not-a-known-join-token-000", certs("bad", "reviews"));
    Proxy none = proxy("none", "reviews", null, certs("none", "reviews"));
    Proxy otherService = proxy("other", "ratings", REVIEWS_TOKEN, certs("other", "reviews"));
    Proxy otherIdentity = proxy("stolen", "reviews", FRONTEND_TOKEN, certs("stolen", "reviews"));
    Proxy good =
        proxy(
            "good",
            "reviews",
            REVIEWS_TOKEN,
            CertificateSettings.of(reviewsCerts, TD, "default", "reviews"));

    // The good proxy gets its certificate, then the config whose TLS listener uses it.
    await().atMost(Duration.ofSeconds(20)).until(() -> !good.client().appliedVersion().isEmpty());
    assertThat(good.client().certificates().renewals()).isPositive();
    X509Certificate cert =
        Pem.readCertificates(Files.readString(reviewsCerts.resolve("cert.pem"))).get(0);
    assertThat(cert.getSubjectAlternativeNames().stream().map(l -> (Object) l.get(1)).toList())
        .containsExactly("spiffe://mesh.test/ns/default/sa/reviews");
    assertThat(good.kernel().port("inbound")).isPositive();
    // Give the refused proxies several more reconnect rounds (50-500 ms backoff) to get anything.
    Thread.sleep(2_000);

    for (Proxy p : List.of(bad, none)) {
      assertThat(p.client().appliedVersion()).as(p.toString()).isEmpty();
      assertThat(p.client().certificates().renewals()).isZero();
      assertThat(p.client().certificates().notAfter()).isNull();
    }
    // A valid token used with another service in the hello: no config (the certificate it may get
    // is for its token's own identity only).
    assertThat(otherService.client().appliedVersion()).isEmpty();
    assertThatThrownBy(() -> otherService.kernel().port("inbound"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> bad.kernel().port("inbound"))
        .isInstanceOf(IllegalArgumentException.class);
    // A valid token for another identity: no certificate for the identity it asks for.
    assertThat(otherIdentity.client().certificates().renewals()).isZero();
    assertThat(otherIdentity.client().appliedVersion()).isEmpty();
    for (String name : List.of("bad", "none", "stolen")) {
      assertThat(dir.resolve(name + "-certs/cert.pem")).doesNotExist();
      assertThat(dir.resolve(name + "-certs/key.pem")).doesNotExist();
    }
  }

  /** Two sidecars whose workload certificates come from the control service. */
  final class Mesh {
    final TestUpstream app;
    final KernelFixture callee;
    final KernelFixture caller;
    final WorkloadCertificates calleeCerts;
    final WorkloadCertificates callerCerts;
    final CertificateSettings calleeFiles = certs("callee", "reviews");
    final CertificateSettings callerFiles = certs("caller", "frontend");

    Mesh() throws Exception {
      ManagedChannel channel =
          Grpc.newChannelBuilder(
                  ControlFixture.address(server), InsecureChannelCredentials.create())
              .build();
      closers.add(() -> channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
      calleeCerts = WorkloadCertificates.start(() -> channel, REVIEWS_TOKEN, calleeFiles);
      closers.add(calleeCerts);
      callerCerts = WorkloadCertificates.start(() -> channel, FRONTEND_TOKEN, callerFiles);
      closers.add(callerCerts);
      calleeCerts.ensure(channel);
      callerCerts.ensure(channel);
      app = TestUpstream.http1("app");
      closers.add(app);
      callee =
          KernelFixture.start(
              """
              listeners:
                - name: inbound
                  address: 127.0.0.1:0
                  tls: {certificateFile: "%s", privateKeyFile: "%s", clientCaFile: "%s", mode: strict}
              clusters:
                - {name: app, endpoints: [{address: %s}]}
              routes:
                - {name: to-app, match: {pathPrefix: /}, cluster: app}
              """
                  .formatted(
                      calleeFiles.certificateFile(),
                      calleeFiles.keyFile(),
                      calleeFiles.bundleFile(),
                      app.address()));
      closers.add(callee);
      caller =
          KernelFixture.start(
              """
              listeners:
                - {name: outbound, address: 127.0.0.1:0}
              clusters:
                - name: reviews
                  endpoints: [{address: 127.0.0.1:%d}]
                  tls:
                    certificateFile: "%s"
                    privateKeyFile: "%s"
                    caFile: "%s"
                    serverIdentity: "spiffe://mesh.test/ns/default/sa/reviews"
              routes:
                - {name: to-reviews, match: {pathPrefix: /}, cluster: reviews}
              """
                  .formatted(
                      callee.port("inbound"),
                      callerFiles.certificateFile(),
                      callerFiles.keyFile(),
                      callerFiles.bundleFile()));
      closers.add(caller);
    }

    /** Waits until both sidecars got {@code more} further certificates. */
    void awaitRenewals(int more) {
      long callee0 = calleeCerts.renewals();
      long caller0 = callerCerts.renewals();
      await()
          .atMost(SHORT_TTL.multipliedBy(more + 2))
          .until(
              () ->
                  calleeCerts.renewals() >= callee0 + more
                      && callerCerts.renewals() >= caller0 + more);
    }

    X509Certificate calleeCertificate() throws Exception {
      return Pem.readCertificates(Files.readString(calleeFiles.certificateFile())).get(0);
    }

    List<X509Certificate> callerBundle() throws Exception {
      return Pem.readCertificates(Files.readString(callerFiles.bundleFile()));
    }
  }

  @Test
  void shortLivedCertificatesRenewThroughTheControlServiceUnderLoadWithNoFailedRequest()
      throws Exception {
    startServer(SHORT_TTL, null);
    Mesh mesh = new Mesh();
    X509Certificate first = mesh.calleeCertificate();
    assertThat(mesh.caller.get("outbound", "/echo").statusCode()).isEqualTo(200);

    try (Load load = new Load(mesh.caller)) {
      // Several renewals: the load outlives the first certificates' whole lifetime.
      mesh.awaitRenewals(3);
      load.assertNoFailures();
    }
    X509Certificate last = mesh.calleeCertificate();
    assertThat(last).isNotEqualTo(first);
    assertThat(last.getNotBefore()).isAfter(first.getNotBefore());
    assertThat(mesh.caller.get("outbound", "/echo").statusCode()).isEqualTo(200);
    assertThat(mesh.app.last().header("x-forwarded-client-cert"))
        .endsWith("URI=spiffe://mesh.test/ns/default/sa/frontend");
  }

  @Test
  void rootRotationWithOverlapThroughTheControlServiceKeepsTrafficFlowing() throws Exception {
    startServer(SHORT_TTL, null);
    Mesh mesh = new Mesh();
    CertificateAuthority ca = server.certificateAuthority();
    X509Certificate oldRoot = ca.signingRoot();

    X509Certificate newRoot;
    try (Load load = new Load(mesh.caller)) {
      // 1. Both roots trusted; the old one still signs.
      newRoot = ca.addRoot();
      mesh.awaitRenewals(2);
      assertThat(mesh.callerBundle()).containsExactly(oldRoot, newRoot);
      // 2. The new root signs; both still trusted.
      ca.signWithNewestRoot();
      mesh.awaitRenewals(2);
      mesh.calleeCertificate().verify(newRoot.getPublicKey());
      // 3. Only the new root is trusted.
      ca.retireOldRoots();
      mesh.awaitRenewals(2);
      assertThat(mesh.callerBundle()).containsExactly(newRoot);
      load.assertNoFailures();
    }
    mesh.calleeCertificate().verify(newRoot.getPublicKey());
    HttpResponse<String> r = mesh.caller.get("outbound", "/echo");
    assertThat(r.statusCode()).isEqualTo(200);
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
                "ca-load-" + t);
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
        t.join(TimeUnit.SECONDS.toMillis(30));
      }
    }
  }
}
