package io.plugmesh.kernel.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.plugmesh.config.Limits;
import io.plugmesh.kernel.testing.KernelFixture;
import io.plugmesh.kernel.testing.TestUpstream;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * HTTP/1.1 limits through a real kernel with shrunk {@link Limits}: header count and size (431),
 * request target length (414), the request-headers timeout (408) and the idle timeout. Each limit
 * is checked at its boundary: one request just inside passes, one just outside is refused, the
 * connection is closed, and the upstream sees nothing.
 */
class Http1LimitsIT {
  static final int MAX_HEADER_BYTES = 2048;
  static final int MAX_HEADER_COUNT = 20;
  static final int MAX_URI_BYTES = 256;
  static final Duration HEADERS_TIMEOUT = Duration.ofMillis(500);
  static final Duration IDLE_TIMEOUT = Duration.ofMillis(1000);

  static TestUpstream up;
  static KernelFixture proxy;

  @BeforeAll
  static void start() throws Exception {
    up = TestUpstream.http1("up");
    Limits d = Limits.DEFAULTS;
    Limits limits =
        new Limits(
            MAX_HEADER_BYTES,
            MAX_HEADER_COUNT,
            MAX_URI_BYTES,
            d.maxConcurrentStreams(),
            d.maxResetsPerWindow(),
            d.resetWindow(),
            IDLE_TIMEOUT,
            HEADERS_TIMEOUT,
            d.defaultRouteTimeout(),
            d.maxPendingBodyBytes(),
            d.drainTimeout(),
            d.blockedLoopThreshold(),
            d.quarantineBlockingPlugins());
    proxy =
        KernelFixture.start(
            """
            listeners: [{name: main, address: 127.0.0.1:0}]
            clusters: [{name: up, endpoints: [{address: %s}]}]
            routes: [{name: all, match: {pathPrefix: /}, cluster: up}]
            """
                .formatted(up.address()),
            limits);
  }

  @AfterAll
  static void stop() {
    proxy.close();
    up.close();
  }

  private static RawConnection connect() throws Exception {
    return RawConnection.open(proxy.port("main"));
  }

  /** Sends one request on a fresh connection and returns the response. */
  private static RawConnection.Response exchange(String request) throws Exception {
    try (RawConnection c = connect()) {
      return c.send(request).readResponse();
    }
  }

  /** Sends a request that must be refused with {@code status}, closed, and never forwarded. */
  private static RawConnection.Response refused(String request, int status) throws Exception {
    int heads = up.requests();
    RawConnection.Response r;
    try (RawConnection c = connect()) {
      r = c.send(request).readResponse();
      assertThat(r.status()).isEqualTo(status);
      assertThat(r.header("connection")).isEqualToIgnoringCase("close");
      assertThat(c.closedByPeer()).as("connection closed after %d", status).isTrue();
    }
    assertThat(up.requests()).as("nothing forwarded").isEqualTo(heads);
    return r;
  }

  private static String withHeaders(int count, int valueBytes) {
    StringBuilder sb = new StringBuilder("GET /echo/h HTTP/1.1\r\nHost: t\r\n");
    for (int i = 1; i < count; i++) {
      sb.append("x-h-").append(i).append(": ").append("v".repeat(valueBytes)).append("\r\n");
    }
    return sb.append("\r\n").toString();
  }

  @Test
  void headerCountAboveTheLimitAnswers431() throws Exception {
    assertThat(exchange(withHeaders(MAX_HEADER_COUNT, 1)).status()).isEqualTo(200);
    RawConnection.Response r = refused(withHeaders(MAX_HEADER_COUNT + 1, 1), 431);
    assertThat(r.body()).contains("too many request headers");
  }

  @Test
  void headerBlockAboveTheLimitAnswers431() throws Exception {
    // One large header, and many small ones adding up, both just inside and outside the limit.
    assertThat(exchange(withHeaders(2, MAX_HEADER_BYTES / 2)).status()).isEqualTo(200);
    refused(withHeaders(2, MAX_HEADER_BYTES + 1), 431);
    assertThat(exchange(withHeaders(10, 100)).status()).isEqualTo(200);
    RawConnection.Response r = refused(withHeaders(15, MAX_HEADER_BYTES / 14), 431);
    assertThat(r.body()).contains("header block too large");
  }

  @Test
  void requestTargetAboveTheLimitAnswers414() throws Exception {
    String prefix = "/echo/";
    String longest = prefix + "a".repeat(MAX_URI_BYTES - prefix.length());
    RawConnection.Response ok = exchange("GET " + longest + " HTTP/1.1\r\nHost: t\r\n\r\n");
    assertThat(ok.status()).isEqualTo(200);
    assertThat(up.last().uri()).isEqualTo(longest);
    // Just over (the proxy's check) and far over (the decoder's request-line limit).
    for (int extra : new int[] {1, 40, 10 * MAX_URI_BYTES}) {
      RawConnection.Response r =
          refused("GET " + longest + "b".repeat(extra) + " HTTP/1.1\r\nHost: t\r\n\r\n", 414);
      assertThat(r.body()).as("%d over", extra).contains("request target too long");
    }
  }

  @Test
  void aHeadThatStopsArrivingGets408AndIsClosed() throws Exception {
    int heads = up.requests();
    try (RawConnection c = connect()) {
      c.send("GET /echo/slow HTTP/1.1\r\n");
      RawConnection.Response r = c.readResponse();
      assertThat(r.status()).isEqualTo(408);
      assertThat(r.header("connection")).isEqualToIgnoringCase("close");
      assertThat(c.closedByPeer()).isTrue();
    }
    assertThat(up.requests()).isEqualTo(heads);
  }

  @Test
  void theNextHeadOnAKeptAliveConnectionIsTimedToo() throws Exception {
    try (RawConnection c = connect()) {
      c.send("GET /echo/first HTTP/1.1\r\nHost: t\r\n\r\n");
      assertThat(c.readResponse().status()).isEqualTo(200);
      int heads = up.requests();
      c.send("GET /echo/second HTTP/1.1\r\nHost: t\r\nX-Partial: ");
      RawConnection.Response r = c.readResponse();
      assertThat(r.status()).isEqualTo(408);
      assertThat(c.closedByPeer()).isTrue();
      assertThat(up.requests()).isEqualTo(heads);
    }
  }

  @Test
  void anIdleKeptAliveConnectionIsClosed() throws Exception {
    try (RawConnection c = connect()) {
      c.send("GET /echo/idle HTTP/1.1\r\nHost: t\r\n\r\n");
      assertThat(c.readResponse().status()).isEqualTo(200);
      // Nothing more is sent: the proxy closes it without a response (read gets end of stream).
      assertThat(c.closedByPeer()).isTrue();
    }
    try (RawConnection silent = connect()) {
      assertThat(silent.closedByPeer()).as("a connection that never sends is closed").isTrue();
    }
    try (RawConnection stalled = connect()) {
      stalled.send("PRI * HTTP/2.0\r\n"); // a prefix of the h2c preface: the protocol is unknown
      assertThat(stalled.closedByPeer()).as("a stalled preface is closed").isTrue();
    }
  }

  @Test
  void aRequestInFlightLongerThanTheIdleTimeoutIsNotCut() throws Exception {
    long delay = IDLE_TIMEOUT.toMillis() * 2;
    try (RawConnection c = connect()) {
      c.send("GET /delay/" + delay + " HTTP/1.1\r\nHost: t\r\n\r\n");
      RawConnection.Response r = c.readResponse();
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("up after " + delay + "ms\n");
    }
  }
}
