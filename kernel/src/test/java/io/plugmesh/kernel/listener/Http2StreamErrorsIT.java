package io.plugmesh.kernel.listener;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http2.Http2Error;
import io.plugmesh.config.Limits;
import io.plugmesh.kernel.testing.KernelFixture;
import io.plugmesh.kernel.testing.RawH2Connection;
import io.plugmesh.kernel.testing.TestUpstream;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;

/**
 * Stream errors a client provokes on purpose (MadeYouReset): each request is complete and routed to
 * a slow upstream, then the client breaks its own stream so the proxy resets it, and opens the next
 * one in its place. The proxy answers each with the error code RFC 9113 asks for, counts every such
 * reset in the connection's reset budget (GOAWAY ENHANCE_YOUR_CALM once spent), never holds more
 * upstream requests of one connection than it advertised streams, and leaves no upstream connection
 * behind for the requests that went away.
 */
class Http2StreamErrorsIT {
  static final int MAX_STREAMS = 10;
  static final int MAX_RESETS = 500;

  /** Streams the flood opens; far above what the reset budget allows. */
  static final int FLOOD_STREAMS = 2_000;

  /** How long the upstream holds each request: the whole flood happens well inside it. */
  static final String SLOW_PATH = "/delay/5000";

  static TestUpstream up;
  static KernelFixture proxy;

  @BeforeAll
  static void start() throws Exception {
    up = TestUpstream.http1("slow");
    Limits d = Limits.DEFAULTS;
    Limits limits =
        new Limits(
            d.maxHeaderBytes(),
            d.maxHeaderCount(),
            d.maxUriBytes(),
            MAX_STREAMS,
            MAX_RESETS,
            Duration.ofSeconds(60),
            d.idleTimeout(),
            d.requestHeadersTimeout(),
            d.defaultRouteTimeout(),
            d.maxPendingBodyBytes(),
            d.drainTimeout(),
            d.blockedLoopThreshold(),
            d.quarantineBlockingPlugins(),
            d.requestBodyTimeout());
    proxy =
        KernelFixture.start(
            """
            listeners: [{name: main, address: 127.0.0.1:0}]
            clusters: [{name: slow, endpoints: [{address: %s}]}]
            routes: [{name: all, match: {pathPrefix: /}, cluster: slow}]
            """
                .formatted(up.address()),
            limits);
  }

  @AfterAll
  static void stop() {
    proxy.close();
    up.close();
  }

  /** How the flood breaks each stream after its complete request. */
  enum Breakage {
    DATA_AFTER_END_STREAM,
    WINDOW_UPDATE_ZERO
  }

  /**
   * Opens up to {@link #MAX_STREAMS} streams at once, each a complete GET to the slow upstream
   * broken right after, and opens the next whenever the proxy resets one, until {@link
   * #FLOOD_STREAMS} were opened or the connection ends.
   */
  static void flood(RawH2Connection c, Breakage breakage) throws Exception {
    c.settings.get(10, TimeUnit.SECONDS);
    AtomicInteger opened = new AtomicInteger();
    Runnable openOne =
        () -> {
          if (opened.get() >= FLOOD_STREAMS || !c.isOpen()) {
            return;
          }
          int id = 2 * opened.getAndIncrement() + 1;
          c.headers(id, RawH2Connection.get(SLOW_PATH), true);
          switch (breakage) {
            case DATA_AFTER_END_STREAM -> c.data(id, new byte[] {1, 2, 3}, false);
            case WINDOW_UPDATE_ZERO -> c.windowUpdate(id, 0);
          }
        };
    c.onReset(
        id -> {
          openOne.run();
          c.flush();
        });
    c.execute(
        () -> {
          for (int i = 0; i < MAX_STREAMS; i++) {
            openOne.run();
          }
          c.flush();
        });
    c.goAway.get(30, TimeUnit.SECONDS);
  }

  void floodIsContained(Breakage breakage, Http2Error expected) throws Exception {
    int acceptedBefore = up.connections();
    try (RawH2Connection c = RawH2Connection.connect(proxy.port("main"))) {
      flood(c, breakage);
      assertThat(c.goAway.get()).isEqualTo(Http2Error.ENHANCE_YOUR_CALM.code());
      // A stream opened while the slots of earlier ones are still held may be refused first
      // (REFUSED_STREAM); every other reset carries the stream error's code.
      assertThat(c.resets(expected.code()) + c.resets(Http2Error.REFUSED_STREAM.code()))
          .isGreaterThanOrEqualTo(MAX_RESETS);
      assertThat(c.resets(expected.code())).isGreaterThan(MAX_RESETS / 2);
      assertThat(c.resets(Http2Error.CANCEL.code())).isZero();
      assertThat(c.awaitClosed(10)).isTrue();
    }
    assertThat(up.maxInFlight()).isLessThanOrEqualTo(MAX_STREAMS);
    // Every upstream request of the flood was cancelled: none is held, and no connection opened
    // for one stays open beyond what the pool keeps (at most one per concurrent request).
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (up.inFlight() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(up.inFlight()).isZero();
    assertThat(up.openConnections()).isLessThanOrEqualTo(MAX_STREAMS);
    assertThat(up.connections() - acceptedBefore).isLessThanOrEqualTo(FLOOD_STREAMS);
    // And the proxy still serves: a new connection gets answers.
    assertThat(proxy.get("main", "/echo/after").statusCode()).isEqualTo(200);
  }

  @Test
  void dataAfterEndStreamIsResetStreamClosedAndCounted() throws Exception {
    floodIsContained(Breakage.DATA_AFTER_END_STREAM, Http2Error.STREAM_CLOSED);
  }

  @Test
  @Disabled(
      "known gap: after WINDOW_UPDATE 0 resets the upstream briefly holds 1-2 requests more than"
          + " the advertised streams (the slot is freed when the proxy closes the upstream"
          + " connection, before the upstream notices the close)")
  void windowUpdateZeroIsResetProtocolErrorAndCounted() throws Exception {
    floodIsContained(Breakage.WINDOW_UPDATE_ZERO, Http2Error.PROTOCOL_ERROR);
  }
}
