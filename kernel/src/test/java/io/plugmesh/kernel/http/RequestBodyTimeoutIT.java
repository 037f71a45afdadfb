package io.plugmesh.kernel.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.plugmesh.config.Limits;
import io.plugmesh.kernel.testing.KernelFixture;
import io.plugmesh.kernel.testing.TestUpstream;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The request-receive timeouts: the body timeout bounds how long a request body may take, apart
 * from the route timeout, which starts once the request is fully received; and a head that stops
 * arriving gets its 408 even when the idle timeout is shorter than the request-headers timeout.
 */
class RequestBodyTimeoutIT {
  /** The route timeout: far shorter than the upload below takes. */
  static final Duration ROUTE_TIMEOUT = Duration.ofSeconds(1);

  static final Duration BODY_TIMEOUT = Duration.ofSeconds(5);
  static final Duration IDLE_TIMEOUT = Duration.ofSeconds(1);
  static final Duration HEADERS_TIMEOUT = Duration.ofSeconds(3);

  static final long UPLOAD_BYTES = 128L * 1024 * 1024;
  static final long UPLOAD_BYTES_PER_SECOND = 64L * 1024 * 1024;
  static final int UPLOAD_CHUNK = 1024 * 1024;

  /** Bytes the trickling client sends at most, one a second. */
  static final int TRICKLE_BYTES = 30;

  static TestUpstream up;
  static KernelFixture proxy;

  @BeforeAll
  static void start() throws Exception {
    up = TestUpstream.http1("up");
    Limits d = Limits.DEFAULTS;
    Limits limits =
        new Limits(
            d.maxHeaderBytes(),
            d.maxHeaderCount(),
            d.maxUriBytes(),
            d.maxConcurrentStreams(),
            d.maxResetsPerWindow(),
            d.resetWindow(),
            IDLE_TIMEOUT,
            HEADERS_TIMEOUT,
            ROUTE_TIMEOUT,
            d.maxPendingBodyBytes(),
            d.drainTimeout(),
            d.blockedLoopThreshold(),
            d.quarantineBlockingPlugins(),
            BODY_TIMEOUT);
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

  @Test
  void anUploadLongerThanTheRouteTimeoutSucceeds() throws Exception {
    byte[] chunk = new byte[UPLOAD_CHUNK];
    long start = System.nanoTime();
    try (RawConnection c = RawConnection.open(proxy.port("main"))) {
      c.send(
          "POST /echo/upload HTTP/1.1\r\nHost: t\r\ncontent-length: " + UPLOAD_BYTES + "\r\n\r\n");
      for (long sent = 0; sent < UPLOAD_BYTES; sent += UPLOAD_CHUNK) {
        c.send(chunk);
        // Paced: never ahead of UPLOAD_BYTES_PER_SECOND.
        long due = start + (sent + UPLOAD_CHUNK) * 1_000_000_000L / UPLOAD_BYTES_PER_SECOND;
        long ahead = due - System.nanoTime();
        if (ahead > 0) {
          TimeUnit.NANOSECONDS.sleep(ahead);
        }
      }
      RawConnection.Response r = c.readResponse();
      long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      System.out.printf("128 MiB upload through a 1 s route timeout: %d ms%n", millis);
      assertThat(millis).isGreaterThan(ROUTE_TIMEOUT.toMillis());
      assertThat(r.status()).isEqualTo(200);
    }
    assertThat(up.last().bodyBytes()).isEqualTo(UPLOAD_BYTES);
  }

  @Test
  void aTricklingBodyIsCutAtTheBodyTimeoutWith408AndTheUpstreamRequestAborted() throws Exception {
    int requestsBefore = up.requests();
    int openBefore = up.openConnections();
    try (RawConnection c = RawConnection.open(proxy.port("main"))) {
      c.send("POST /echo/trickle HTTP/1.1\r\nHost: t\r\ncontent-length: 1000\r\n\r\n");
      Thread trickle =
          new Thread(
              () -> {
                try {
                  for (int i = 0; i < TRICKLE_BYTES; i++) {
                    c.send(new byte[] {'x'});
                    Thread.sleep(1000);
                  }
                } catch (IOException | InterruptedException e) {
                  // the proxy cut the request
                }
              },
              "trickle");
      trickle.setDaemon(true);
      trickle.start();
      long start = System.nanoTime();
      RawConnection.Response r = c.readResponse();
      long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      trickle.interrupt();
      assertThat(r.status()).isEqualTo(408);
      assertThat(millis).isGreaterThanOrEqualTo(BODY_TIMEOUT.toMillis() - 100);
      assertThat(c.closedByPeer()).isTrue();
    }
    // The upstream got the head and part of the body, then its connection was cut: it never saw a
    // complete request, and holds no connection for it.
    assertThat(up.requests()).isEqualTo(requestsBefore + 1);
    assertThat(up.seen()).noneMatch(s -> s.uri().equals("/echo/trickle"));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (up.openConnections() > openBefore && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(up.openConnections()).isLessThanOrEqualTo(openBefore);
  }

  @Test
  void aHalfSentHeadGets408WhenTheIdleTimeoutComesFirst() throws Exception {
    try (RawConnection c = RawConnection.open(proxy.port("main"))) {
      c.send("GET /echo/half HTTP/1.1\r\nHost: t\r\n");
      RawConnection.Response r = c.readResponse();
      assertThat(r.status()).isEqualTo(408);
      assertThat(c.closedByPeer()).isTrue();
    }
  }
}
