package io.plugmesh.kernel.listener;

import static org.assertj.core.api.Assertions.assertThat;

import io.plugmesh.kernel.testing.KernelFixture;
import io.plugmesh.kernel.testing.TestUpstream;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A TLS listener with ALPN: h2 and http/1.1 clients on the same port, with a self-signed
 * certificate made by {@code openssl} at test time.
 */
class TlsIT {
  static final long OPENSSL_SECONDS = 60;
  static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(15);

  /** Requests the HTTP/2 client sends at once (multiplexed on its one connection). */
  static final int CONCURRENT = 20;

  @TempDir static Path dir;

  static TestUpstream h1;
  static TestUpstream h2;
  static KernelFixture proxy;
  static SSLContext trusting;

  @BeforeAll
  static void start() throws Exception {
    Path cert = dir.resolve("proxy.pem");
    Path key = dir.resolve("proxy-key.pem");
    openssl(
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        key.toString(),
        "-out",
        cert.toString(),
        "-days",
        "2",
        "-subj",
        "/CN=localhost",
        "-addext",
        "subjectAltName=IP:127.0.0.1,DNS:localhost");
    assertThat(Files.readString(key)).as("PKCS#8 key").startsWith("-----BEGIN PRIVATE KEY-----");
    trusting = trusting(cert);

    h1 = TestUpstream.http1("h1");
    h2 = TestUpstream.http2("h2");
    proxy =
        KernelFixture.start(
            """
            listeners:
              - {name: secure, address: 127.0.0.1:0, tls: {certificateFile: "%s", privateKeyFile: "%s"}}
            clusters:
              - {name: h1, endpoints: [{address: %s}]}
              - {name: h2, protocol: http2, endpoints: [{address: %s}]}
            routes:
              - {name: tls-h1, match: {pathPrefix: /h1}, cluster: h1}
              - {name: tls-h2, match: {pathPrefix: /h2}, cluster: h2}
            """
                .formatted(cert, key, h1.address(), h2.address()));
  }

  @AfterAll
  static void stop() {
    if (proxy != null) {
      proxy.close();
    }
    if (h1 != null) {
      h1.close();
    }
    if (h2 != null) {
      h2.close();
    }
  }

  private static void openssl(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("openssl"));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    byte[] output;
    try (InputStream in = p.getInputStream()) {
      output = in.readAllBytes();
    }
    if (!p.waitFor(OPENSSL_SECONDS, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("openssl did not finish within " + OPENSSL_SECONDS + "s");
    }
    if (p.exitValue() != 0) {
      throw new AssertionError(
          "openssl " + args[0] + " failed: " + new String(output, StandardCharsets.UTF_8));
    }
  }

  private static SSLContext trusting(Path cert) throws Exception {
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(null, null);
    try (InputStream in = Files.newInputStream(cert)) {
      store.setCertificateEntry(
          "proxy", CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(store);
    SSLContext ssl = SSLContext.getInstance("TLS");
    ssl.init(null, tmf.getTrustManagers(), null);
    return ssl;
  }

  private static HttpClient client(HttpClient.Version version) {
    return HttpClient.newBuilder()
        .version(version)
        .sslContext(trusting)
        .connectTimeout(REQUEST_TIMEOUT)
        .build();
  }

  private static HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + proxy.port("secure") + path))
        .timeout(REQUEST_TIMEOUT);
  }

  @Test
  void http2ClientNegotiatesH2ByAlpn() throws Exception {
    HttpClient client = client(HttpClient.Version.HTTP_2);
    for (String prefix : List.of("h1", "h2")) {
      HttpResponse<String> r =
          client.send(
              request("/" + prefix + "/echo?via=alpn").build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_2);
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.headers().firstValue("x-upstream")).hasValue(prefix);
      assertThat(r.body())
          .startsWith(prefix + " GET /" + prefix + "/echo?via=alpn\n")
          .contains("x-forwarded-proto: https");
    }
  }

  @Test
  void http11OnlyClientWorksOnTheSamePort() throws Exception {
    HttpClient client = client(HttpClient.Version.HTTP_1_1);
    for (String prefix : List.of("h1", "h2")) {
      HttpResponse<String> r =
          client.send(
              request("/" + prefix + "/echo").build(), HttpResponse.BodyHandlers.ofString());
      assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_1_1);
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).contains("x-forwarded-proto: https");
    }
  }

  @Test
  void http2PostBodiesAndConcurrentStreamsOverTls() throws Exception {
    HttpClient client = client(HttpClient.Version.HTTP_2);
    byte[] body = new byte[300 * 1024];
    new Random(7).nextBytes(body);
    HttpResponse<byte[]> mirrored =
        client.send(
            request("/h2/mirror").POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertThat(mirrored.version()).isEqualTo(HttpClient.Version.HTTP_2);
    assertThat(mirrored.statusCode()).isEqualTo(200);
    assertThat(mirrored.body()).isEqualTo(body);

    List<CompletableFuture<HttpResponse<String>>> futures = new ArrayList<>();
    for (int i = 0; i < CONCURRENT; i++) {
      String prefix = i % 2 == 0 ? "h1" : "h2";
      futures.add(
          client.sendAsync(
              request("/" + prefix + "/delay/100?i=" + i).build(),
              HttpResponse.BodyHandlers.ofString()));
    }
    for (int i = 0; i < CONCURRENT; i++) {
      HttpResponse<String> r = futures.get(i).get(REQUEST_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_2);
      assertThat(r.statusCode()).isEqualTo(200);
      String prefix = i % 2 == 0 ? "h1" : "h2";
      assertThat(r.headers().firstValue("x-uri")).hasValue("/" + prefix + "/delay/100?i=" + i);
    }
  }

  @Test
  void metricsTellTheNegotiatedProtocols() throws Exception {
    client(HttpClient.Version.HTTP_2)
        .send(request("/h2/echo").build(), HttpResponse.BodyHandlers.discarding());
    client(HttpClient.Version.HTTP_1_1)
        .send(request("/h1/echo").build(), HttpResponse.BodyHandlers.discarding());
    String metrics = proxy.admin("/metrics");
    assertThat(metrics.lines())
        .anySatisfy(
            l ->
                assertThat(l)
                    .startsWith("mesh_requests_total{")
                    .contains("listener=\"secure\"")
                    .contains("route=\"tls-h2\"")
                    .contains("request_protocol=\"HTTP/2\""))
        .anySatisfy(
            l ->
                assertThat(l)
                    .startsWith("mesh_requests_total{")
                    .contains("listener=\"secure\"")
                    .contains("route=\"tls-h1\"")
                    .contains("request_protocol=\"HTTP/1.1\""));
  }
}
