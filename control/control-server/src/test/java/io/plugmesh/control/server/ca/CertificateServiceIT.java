package io.plugmesh.control.server.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.plugmesh.control.api.v1.CertificateRequest;
import io.plugmesh.control.api.v1.CertificateResponse;
import io.plugmesh.control.api.v1.CertificatesGrpc;
import io.plugmesh.control.server.ControlServer;
import io.plugmesh.control.server.testing.ControlFixture;
import io.plugmesh.meshca.Csr;
import io.plugmesh.meshca.Keys;
import io.plugmesh.meshca.MeshCa;
import io.plugmesh.meshca.Pem;
import io.plugmesh.meshca.SpiffeId;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The control service as mesh CA: join tokens decide the identity, the CSR never does. */
class CertificateServiceIT {
  static final String REVIEWS_TOKEN = "reviews-join-token-0123456789";
  static final String TD = "mesh.test";

  @TempDir Path dir;
  ControlServer server;
  ManagedChannel channel;

  @AfterEach
  void stop() throws Exception {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (server != null) {
      server.close();
    }
  }

  void start(Duration ttl) throws Exception {
    Files.createDirectories(dir.resolve("store"));
    server =
        ControlServer.start(
            new ControlServer.Options(
                "127.0.0.1",
                0,
                -1,
                ControlFixture.TOKEN,
                null,
                dir.resolve("store"),
                List.of(),
                null,
                "ca",
                null),
            new SecurityOptions(
                TD,
                null,
                null,
                null,
                ttl,
                JoinTokens.of(Map.of(REVIEWS_TOKEN, new Identity("default", "reviews")))));
    channel =
        Grpc.newChannelBuilder(ControlFixture.address(server), InsecureChannelCredentials.create())
            .build();
  }

  CertificatesGrpc.CertificatesBlockingStub stub(String token) {
    CertificatesGrpc.CertificatesBlockingStub stub = CertificatesGrpc.newBlockingStub(channel);
    if (token != null) {
      Metadata headers = new Metadata();
      headers.put(
          Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
      stub = stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
    }
    return stub.withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  static CertificateRequest csr(KeyPair keys, SpiffeId id) {
    return CertificateRequest.newBuilder().setCsrPem(Csr.create(keys, id).pem()).build();
  }

  @Test
  void aProxyGetsACertificateForItsTokensIdentityWithTheConfiguredTtl() throws Exception {
    start(Duration.ofSeconds(30));
    KeyPair keys = Keys.generate();
    SpiffeId id = SpiffeId.of(TD, "default", "reviews");

    CertificateResponse r = stub(REVIEWS_TOKEN).sign(csr(keys, id));

    X509Certificate cert = Pem.readCertificates(r.getCertificateChainPem()).get(0);
    assertThat(cert.getPublicKey()).isEqualTo(keys.getPublic());
    assertThat(r.getSpiffeId()).isEqualTo("spiffe://mesh.test/ns/default/sa/reviews");
    assertThat(cert.getSubjectAlternativeNames().stream().map(l -> (Object) l.get(1)).toList())
        .containsExactly(id.uri());
    assertThat(Duration.between(cert.getNotBefore().toInstant(), cert.getNotAfter().toInstant()))
        .isLessThanOrEqualTo(Duration.ofSeconds(30).plus(MeshCa.CLOCK_SKEW));
    assertThat(r.getNotAfter()).isEqualTo(cert.getNotAfter().getTime());
    X509Certificate root = Pem.readCertificates(r.getTrustBundlePem()).get(0);
    cert.verify(root.getPublicKey());
    // The root was generated into the store's CA folder and survives a restart.
    assertThat(dir.resolve("store/.ca/root-1.pem")).exists();
    assertThat(dir.resolve("store/.ca/root-1.key")).exists();
  }

  @Test
  void badMissingOrMalformedTokensGetUnauthenticatedAndNoCertificate() throws Exception {
    start(Duration.ofHours(1));
    CertificateRequest req = csr(Keys.generate(), SpiffeId.of(TD, "default", "reviews"));
    for (String token : new String[] {"not-a-known-join-token-000", null, ""}) {
      assertThatThrownBy(() -> stub(token).sign(req))
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
    }
    // The admin token is not a join token either.
    assertThatThrownBy(() -> stub(ControlFixture.TOKEN).sign(req))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
  }

  @Test
  void aCsrForAnotherIdentityIsRefused() throws Exception {
    start(Duration.ofHours(1));
    for (SpiffeId other :
        List.of(
            SpiffeId.of(TD, "default", "ratings"),
            SpiffeId.of(TD, "other", "reviews"),
            SpiffeId.of("evil.test", "default", "reviews"))) {
      assertThatThrownBy(() -> stub(REVIEWS_TOKEN).sign(csr(Keys.generate(), other)))
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> {
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
                assertThat(e.getStatus().getDescription())
                    .contains("spiffe://mesh.test/ns/default/sa/reviews");
              });
    }
    assertThatThrownBy(
            () ->
                stub(REVIEWS_TOKEN)
                    .sign(CertificateRequest.newBuilder().setCsrPem("garbage").build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e ->
                assertThat(e.getStatus().getCode())
                    .isIn(Status.Code.INVALID_ARGUMENT, Status.Code.PERMISSION_DENIED));
  }

  @Test
  void rootRotationServesBothRootsDuringTheOverlapThenOnlyTheNewOne() throws Exception {
    start(Duration.ofHours(1));
    CertificateAuthority ca = server.certificateAuthority();
    X509Certificate oldRoot = ca.signingRoot();
    SpiffeId id = SpiffeId.of(TD, "default", "reviews");

    X509Certificate newRoot = ca.addRoot();
    CertificateResponse during = stub(REVIEWS_TOKEN).sign(csr(Keys.generate(), id));
    assertThat(Pem.readCertificates(during.getTrustBundlePem())).containsExactly(oldRoot, newRoot);
    Pem.readCertificates(during.getCertificateChainPem()).get(0).verify(oldRoot.getPublicKey());

    ca.signWithNewestRoot();
    CertificateResponse switched = stub(REVIEWS_TOKEN).sign(csr(Keys.generate(), id));
    assertThat(Pem.readCertificates(switched.getTrustBundlePem()))
        .containsExactly(oldRoot, newRoot);
    Pem.readCertificates(switched.getCertificateChainPem()).get(0).verify(newRoot.getPublicKey());

    assertThat(ca.retireOldRoots()).isEqualTo(1);
    CertificateResponse after = stub(REVIEWS_TOKEN).sign(csr(Keys.generate(), id));
    assertThat(Pem.readCertificates(after.getTrustBundlePem())).containsExactly(newRoot);

    // A restart keeps the new root signing.
    server.close();
    server = null;
    CertificateAuthority reopened =
        CertificateAuthority.open(dir.resolve("store/.ca"), TD, Duration.ofHours(1));
    assertThat(reopened.signingRoot()).isEqualTo(newRoot);
    assertThat(reopened.trustBundle()).containsExactly(newRoot);
  }
}
