package io.plugmesh.kernel.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.HttpMethod;
import io.plugmesh.kernel.testing.H2Client;
import io.plugmesh.kernel.testing.KernelFixture;
import io.plugmesh.kernel.testing.TestUpstream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * HTTP/2 with prior knowledge (h2c) from the client, proxied to an HTTP/1.1 upstream and to an h2c
 * upstream: bodies both ways, many concurrent streams on one connection, response trailers.
 */
class Http2IT {
  /** Requests sent at once on one connection (below the default maxConcurrentStreams of 100). */
  static final int CONCURRENT = 50;

  /** How long the upstream holds each concurrent request, so that they overlap. */
  static final int HOLD_MS = 300;

  static final long WAIT_SECONDS = 20;

  static TestUpstream h1;
  static TestUpstream h2;
  static KernelFixture proxy;

  @BeforeAll
  static void start() throws Exception {
    h1 = TestUpstream.http1("h1");
    h2 = TestUpstream.http2("h2");
    proxy =
        KernelFixture.start(
            """
            listeners:
              - {name: main, address: 127.0.0.1:0}
            clusters:
              - {name: h1, endpoints: [{address: %s}]}
              - {name: h2, protocol: http2, endpoints: [{address: %s}]}
            routes:
              - {name: to-h1, match: {pathPrefix: /h1}, cluster: h1}
              - {name: to-h2, match: {pathPrefix: /h2}, cluster: h2}
            """
                .formatted(h1.address(), h2.address()));
  }

  @AfterAll
  static void stop() {
    proxy.close();
    h1.close();
    h2.close();
  }

  private static H2Client client() throws InterruptedException {
    return H2Client.connect(proxy.port("main"));
  }

  private static H2Client.Response await(CompletableFuture<H2Client.Response> f) throws Exception {
    return f.get(WAIT_SECONDS, TimeUnit.SECONDS);
  }

  private static TestUpstream upstream(String prefix) {
    return prefix.equals("h1") ? h1 : h2;
  }

  @ParameterizedTest
  @ValueSource(strings = {"h1", "h2"})
  void getIsProxiedWithHeadersQueryAndAuthority(String prefix) throws Exception {
    try (H2Client client = client()) {
      H2Client.Response r =
          await(
              client.send(
                  HttpMethod.GET,
                  "/" + prefix + "/echo?x=1&y=two",
                  new byte[0],
                  Map.of("x-test", "value-" + prefix)));
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.headers().get("x-upstream")).isEqualTo(prefix);
      assertThat(r.text())
          .startsWith(prefix + " GET /" + prefix + "/echo?x=1&y=two\n")
          .contains("x-test: value-" + prefix)
          .contains("x-forwarded-proto: http")
          .contains("body-bytes: 0");
      TestUpstream.Seen seen = upstream(prefix).last();
      assertThat(seen.uri()).isEqualTo("/" + prefix + "/echo?x=1&y=two");
      assertThat(seen.header("host")).isEqualTo("127.0.0.1:" + proxy.port("main"));
      assertThat(seen.header("x-request-id")).isNotBlank();
      if (prefix.equals("h1")) {
        // HTTP/2 pseudo-header conversions must not leak into an HTTP/1.1 request.
        assertThat(r.text()).doesNotContain("x-http2-");
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"h1", "h2"})
  void postBodiesStreamBothWaysIntact(String prefix) throws Exception {
    byte[] small = "hello proxy".getBytes(StandardCharsets.UTF_8);
    // Larger than the default HTTP/2 flow-control window (65535) several times over.
    byte[] large = new byte[700 * 1024 + 17];
    new Random(42).nextBytes(large);
    try (H2Client client = client()) {
      H2Client.Response echo =
          await(
              client.send(
                  HttpMethod.POST,
                  "/" + prefix + "/echo",
                  small,
                  Map.of("content-type", "text/plain")));
      assertThat(echo.status()).isEqualTo(200);
      assertThat(echo.text()).contains("POST /" + prefix + "/echo").contains("body-bytes: 11");

      H2Client.Response mirror =
          await(client.send(HttpMethod.POST, "/" + prefix + "/mirror", large, Map.of()));
      assertThat(mirror.status()).isEqualTo(200);
      assertThat(mirror.body()).hasSize(large.length).isEqualTo(large);

      // A body without content-length (HTTP/2 framing only) reaches the upstream whole.
      assertThat(upstream(prefix).last().bodyBytes()).isEqualTo(large.length);
    }
  }

  @Test
  void fiftyConcurrentStreamsOnOneConnectionAllAnswered() throws Exception {
    int h1ConnectionsBefore = h1.connections();
    int h2ConnectionsBefore = h2.connections();
    try (H2Client client = client()) {
      List<CompletableFuture<H2Client.Response>> futures = new ArrayList<>();
      for (int i = 0; i < CONCURRENT; i++) {
        String prefix = i % 2 == 0 ? "h1" : "h2";
        futures.add(client.get("/" + prefix + "/delay/" + HOLD_MS + "?i=" + i));
      }
      Set<String> answered = new HashSet<>();
      for (int i = 0; i < CONCURRENT; i++) {
        H2Client.Response r = await(futures.get(i));
        assertThat(r.status()).as("request %d", i).isEqualTo(200);
        String prefix = i % 2 == 0 ? "h1" : "h2";
        assertThat(r.headers().get("x-upstream")).isEqualTo(prefix);
        assertThat(r.headers().get("x-uri"))
            .isEqualTo("/" + prefix + "/delay/" + HOLD_MS + "?i=" + i);
        answered.add(r.headers().get("x-uri"));
      }
      assertThat(answered).hasSize(CONCURRENT);
      assertThat(client.isOpen()).isTrue();
    }
    // The HTTP/1.1 upstream needed parallel connections: the streams were proxied concurrently,
    // not one after another. The h2c upstream multiplexed them on at most one new connection.
    assertThat(h1.connections() - h1ConnectionsBefore).isGreaterThan(1);
    assertThat(h2.connections() - h2ConnectionsBefore).isLessThanOrEqualTo(1);
  }

  @ParameterizedTest
  @ValueSource(strings = {"h1", "h2"})
  void responseTrailersReachTheHttp2Client(String prefix) throws Exception {
    try (H2Client client = client()) {
      H2Client.Response r = await(client.get("/" + prefix + "/trailers"));
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.text()).isEqualTo("part1part2");
      assertThat(r.trailers().get("x-trailer")).isEqualTo(prefix);
      assertThat(r.trailers().get("x-parts")).isEqualTo("2");
      assertThat(r.headers().contains("x-trailer")).isFalse();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"h1", "h2"})
  void largeDownloadsStreamAndAnAbandonedOneLeavesTheConnectionUsable(String prefix)
      throws Exception {
    int size = 5 * 1024 * 1024;
    try (H2Client client = client()) {
      H2Client.Response r = await(client.get("/" + prefix + "/bytes/" + size));
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.body()).hasSize(size);

      // Larger than the client aggregates: it resets the stream mid-body.
      CompletableFuture<H2Client.Response> abandoned =
          client.get("/" + prefix + "/bytes/" + (H2Client.MAX_RESPONSE_BYTES * 3L));
      assertThat(abandoned)
          .failsWithin(Duration.ofSeconds(WAIT_SECONDS))
          .withThrowableOfType(ExecutionException.class);

      H2Client.Response after = await(client.get("/" + prefix + "/echo?after=reset"));
      assertThat(after.status()).isEqualTo(200);
      assertThat(after.text()).contains("/echo?after=reset");
      assertThat(client.isOpen()).isTrue();
    }
  }

  @Test
  void localAnswersAndUpstreamStatusesKeepTheStreamUsable() throws Exception {
    try (H2Client client = client()) {
      H2Client.Response none = await(client.get("/nowhere"));
      assertThat(none.status()).isEqualTo(404);
      assertThat(none.text()).contains("no route matched GET");
      H2Client.Response status = await(client.get("/h2/status/503"));
      assertThat(status.status()).isEqualTo(503);
      assertThat(status.headers().get("x-upstream")).isEqualTo("h2");
      H2Client.Response head =
          await(client.send(HttpMethod.HEAD, "/h1/echo", new byte[0], Map.of()));
      assertThat(head.status()).isEqualTo(200);
      assertThat(head.body()).isEmpty();
      assertThat(head.headers().getInt("content-length")).isPositive();
      H2Client.Response after = await(client.get("/h1/echo"));
      assertThat(after.status()).isEqualTo(200);
      assertThat(client.isOpen()).isTrue();
    }
  }

  @Test
  void metricsCountHttp2Requests() throws Exception {
    try (H2Client client = client()) {
      assertThat(await(client.get("/h2/echo")).status()).isEqualTo(200);
      assertThat(await(client.get("/h1/echo")).status()).isEqualTo(200);
    }
    String metrics = proxy.admin("/metrics");
    assertThat(metrics.lines())
        .anySatisfy(
            l ->
                assertThat(l)
                    .startsWith("mesh_requests_total{")
                    .contains("route=\"to-h2\"")
                    .contains("request_protocol=\"HTTP/2\"")
                    .contains("response_code=\"200\""))
        .anySatisfy(
            l ->
                assertThat(l)
                    .startsWith("mesh_requests_total{")
                    .contains("route=\"to-h1\"")
                    .contains("request_protocol=\"HTTP/2\""));
  }
}
