package io.plugmesh.control.server.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.plugmesh.config.Limits;
import io.plugmesh.config.ProxySettings;
import io.plugmesh.control.api.v1.CertificateRequest;
import io.plugmesh.control.api.v1.CertificatesGrpc;
import io.plugmesh.control.server.ControlServer;
import io.plugmesh.control.server.testing.ControlFixture;
import io.plugmesh.control.server.testing.TestFilters;
import io.plugmesh.kernel.control.CertificateSettings;
import io.plugmesh.kernel.control.ControlClient;
import io.plugmesh.kernel.control.ControlSettings;
import io.plugmesh.kernel.runtime.Kernel;
import io.plugmesh.meshca.Csr;
import io.plugmesh.meshca.Keys;
import io.plugmesh.meshca.MeshCa;
import io.plugmesh.meshca.SpiffeId;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The control API over TLS with a certificate from the mesh CA, verified by SPIFFE id. */
class ControlTlsIT {
  static final String TD = "mesh.test";
  static final String TOKEN = "reviews-join-token-0123456789";

  @TempDir Path dir;
  ControlServer server;
  final List<AutoCloseable> closers = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    Path store = dir.resolve("store");
    Files.createDirectories(store);
    Files.writeString(
        store.resolve("mesh.yaml"),
        """
        listeners:
          - {name: in, address: "127.0.0.1:0"}
        clusters:
          - {name: app, endpoints: [{address: "127.0.0.1:9"}]}
        routes:
          - {name: to-app, match: {pathPrefix: /}, cluster: app}
        """);
    server =
        ControlServer.start(
            new ControlServer.Options(
                "127.0.0.1",
                0,
                -1,
                ControlFixture.TOKEN,
                null,
                store,
                List.of(),
                null,
                "tls",
                null),
            new SecurityOptions(
                TD,
                null,
                null,
                null,
                Duration.ofHours(1),
                JoinTokens.of(Map.of(TOKEN, new Identity("default", "reviews"))),
                true));
    closers.add(server);
  }

  @AfterEach
  void stop() throws Exception {
    for (int i = closers.size() - 1; i >= 0; i--) {
      closers.get(i).close();
    }
  }

  ControlClient proxy(String node, CertificateSettings certs) throws Exception {
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
    closers.add(kernel);
    ControlClient client =
        ControlClient.start(
            kernel,
            new ControlSettings(
                List.of(ControlFixture.address(server)),
                node,
                "reviews",
                Map.of(),
                TOKEN,
                null,
                Duration.ofMillis(50),
                Duration.ofMillis(500)),
            certs);
    closers.add(client);
    return client;
  }

  @Test
  void aProxyBootstrappedWithTheRootGetsItsCertificateAndConfigOverTls() throws Exception {
    Path caFile = dir.resolve("bootstrap-ca.pem");
    Files.writeString(caFile, server.certificateAuthority().trustBundlePem());

    ControlClient client =
        proxy(
            "good",
            CertificateSettings.of(dir.resolve("good"), TD, "default", "reviews")
                .withControlCaFile(caFile));

    await().atMost(Duration.ofSeconds(20)).until(() -> !client.appliedVersion().isEmpty());
    assertThat(client.certificates().renewals()).isPositive();
  }

  @Test
  void aProxyTrustingAnotherRootGetsNothing() throws Exception {
    Path foreign = dir.resolve("foreign-ca.pem");
    Files.writeString(foreign, MeshCa.generateRoot(TD, Duration.ofDays(1)).certificatePem());
    ControlClient good =
        proxy(
            "good",
            CertificateSettings.of(dir.resolve("good"), TD, "default", "reviews")
                .withControlCaFile(writeRoot()));
    ControlClient fooled =
        proxy(
            "fooled",
            CertificateSettings.of(dir.resolve("fooled"), TD, "default", "reviews")
                .withControlCaFile(foreign));

    await().atMost(Duration.ofSeconds(20)).until(() -> !good.appliedVersion().isEmpty());
    Thread.sleep(1_000);
    assertThat(fooled.appliedVersion()).isEmpty();
    assertThat(fooled.certificates().renewals()).isZero();
    assertThat(dir.resolve("fooled/cert.pem")).doesNotExist();
  }

  @Test
  void aPlaintextClientIsRefused() throws Exception {
    ManagedChannel plain =
        ControlClient.channelBuilder(ControlFixture.address(server), null).build();
    closers.add(() -> plain.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
    Metadata headers = new Metadata();
    headers.put(
        Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + TOKEN);
    CertificatesGrpc.CertificatesBlockingStub stub =
        CertificatesGrpc.newBlockingStub(plain)
            .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
            .withDeadlineAfter(10, TimeUnit.SECONDS);
    CertificateRequest req =
        CertificateRequest.newBuilder()
            .setCsrPem(Csr.create(Keys.generate(), SpiffeId.of(TD, "default", "reviews")).pem())
            .build();

    assertThatThrownBy(() -> stub.sign(req))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isNotEqualTo(Status.Code.OK));
  }

  Path writeRoot() throws Exception {
    Path caFile = dir.resolve("bootstrap-ca.pem");
    Files.writeString(caFile, server.certificateAuthority().trustBundlePem());
    return caFile;
  }
}
