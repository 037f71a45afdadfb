package io.plugmesh.kernel.observe;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.read.ListAppender;
import io.micrometer.core.instrument.Counter;
import io.plugmesh.config.Limits;
import io.plugmesh.filters.Phase;
import io.plugmesh.kernel.testing.KernelFixture;
import io.plugmesh.kernel.testing.TestUpstream;
import io.plugmesh.pluginruntime.TestFactory;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * A client cannot fill the proxy's log: 1,000 requests through a throwing filter and 200 Rapid
 * Reset connections leave a handful of lines (one stack trace per cause) while the counters count
 * every occurrence.
 */
class ClientCausedLogIT {
  static final int REQUESTS = 1000;
  static final int PARALLEL = 8;
  static final int RESET_CONNECTIONS = 200;
  static final int MAX_RESETS = 10;

  /** Streams each flooding connection opens and resets; well above {@link #MAX_RESETS}. */
  static final int FLOOD_STREAMS = 5 * MAX_RESETS;

  /**
   * Warnings allowed for the whole run: per cause the first with its stack trace and at most {@code
   * CauseLog.DEFAULT_LINES_PER_INTERVAL} per interval; the run spans a few intervals at most.
   * Before, the same run logged over a thousand stack trace lines.
   */
  static final int MAX_WARNINGS = 40;

  /** Stack frames allowed over all warnings: one trace per cause, a few causes. */
  static final int MAX_STACK_LINES = 400;

  @Test
  void aThrowingFilterAndRapidResetFloodsLeaveFewLinesAndAreAllCounted() throws Exception {
    double failures;
    double resets;
    ListAppender<ILoggingEvent> captured = new ListAppender<>();
    Logger root =
        ((LoggerContext) LoggerFactory.getILoggerFactory()).getLogger(Logger.ROOT_LOGGER_NAME);
    captured.start();
    root.addAppender(captured);
    TestFactory thrower =
        TestFactory.passing("thrower", Phase.AUTHN)
            .withFilter(
                (c, s) ->
                    (request, chain) -> {
                      throw new IllegalStateException("thrower broke on " + request.path());
                    });
    Limits d = Limits.DEFAULTS;
    Limits limits =
        new Limits(
            d.maxHeaderBytes(),
            d.maxHeaderCount(),
            d.maxUriBytes(),
            d.maxConcurrentStreams(),
            MAX_RESETS,
            Duration.ofSeconds(60),
            d.idleTimeout(),
            d.requestHeadersTimeout(),
            d.defaultRouteTimeout(),
            d.maxPendingBodyBytes(),
            d.drainTimeout(),
            d.blockedLoopThreshold(),
            d.quarantineBlockingPlugins());
    try (TestUpstream up = TestUpstream.http1("up");
        KernelFixture proxy =
            KernelFixture.start(
                """
                listeners: [{name: main, address: 127.0.0.1:0}]
                clusters: [{name: up, endpoints: [{address: %s}]}]
                routes:
                  - {name: throw, match: {pathPrefix: /throw}, cluster: up, plugins: [{name: thrower}]}
                """
                    .formatted(up.address()),
                limits,
                thrower)) {
      int port = proxy.port("main");
      for (int batch = 0; batch < REQUESTS / PARALLEL; batch++) {
        List<CompletableFuture<HttpResponse<Void>>> inFlight = new ArrayList<>();
        for (int i = 0; i < PARALLEL; i++) {
          inFlight.add(
              proxy.client.sendAsync(
                  HttpRequest.newBuilder(proxy.uri("main", "/throw/" + batch + "/" + i))
                      .timeout(Duration.ofSeconds(10))
                      .build(),
                  HttpResponse.BodyHandlers.discarding()));
        }
        for (CompletableFuture<HttpResponse<Void>> f : inFlight) {
          assertThat(f.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(500);
        }
      }
      for (int i = 0; i < RESET_CONNECTIONS; i++) {
        assertThat(rapidReset(port)).as("connection %d got GOAWAY", i).contains("GOAWAY");
      }

      failures = count(proxy, "plugin-failure:java.lang.IllegalStateException");
      resets = count(proxy, "downstream-connection:io.netty.handler.codec.http2.Http2Exception");
    } finally {
      root.detachAppender(captured);
      captured.stop();
    }
    // What the proxy logged: its own loggers, or Netty's on the proxy's threads.
    List<ILoggingEvent> events =
        captured.list.stream()
            .filter(
                e ->
                    e.getLoggerName().startsWith("io.plugmesh")
                        || e.getThreadName().startsWith("plugmesh"))
            .toList();
    int stackLines = events.stream().mapToInt(e -> frames(e.getThrowableProxy())).sum();
    assertThat(events)
        .as("warnings: %s", events.stream().map(ILoggingEvent::getFormattedMessage).toList())
        .hasSizeLessThanOrEqualTo(MAX_WARNINGS);
    assertThat(stackLines).isLessThanOrEqualTo(MAX_STACK_LINES);
    assertThat(events.stream().filter(e -> e.getThrowableProxy() != null).count())
        .as("warnings with a stack trace")
        .isLessThanOrEqualTo(2);
    assertThat(failures).as("plugin failures counted").isEqualTo(REQUESTS);
    assertThat(resets).as("Rapid Reset connections counted").isEqualTo(RESET_CONNECTIONS);
  }

  /** Occurrences counted for the causes starting with {@code cause}. */
  private static double count(KernelFixture proxy, String cause) {
    return proxy.kernel.registry().find("mesh.log.causes").counters().stream()
        .filter(c -> c.getId().getTag("cause").startsWith(cause))
        .mapToDouble(Counter::count)
        .sum();
  }

  private static int frames(IThrowableProxy t) {
    int n = 0;
    for (IThrowableProxy p = t; p != null; p = p.getCause()) {
      n += 1 + p.getStackTraceElementProxyArray().length;
    }
    return n;
  }

  /**
   * One h2c connection that opens and resets {@link #FLOOD_STREAMS} streams in one write, framed by
   * hand; returns "GOAWAY" when the proxy answered with one before closing.
   */
  private static String rapidReset(int port) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    frame(out, 0x4, 0, 0, new byte[0]); // SETTINGS
    // HPACK: :method GET, :scheme http, :path /, :authority t (literal, indexed name)
    byte[] headers = {(byte) 0x82, (byte) 0x86, (byte) 0x84, 0x41, 0x01, 't'};
    for (int i = 0; i < FLOOD_STREAMS; i++) {
      int stream = 1 + 2 * i;
      frame(out, 0x1, 0x5, stream, headers); // HEADERS, END_STREAM | END_HEADERS
      frame(out, 0x3, 0, stream, new byte[] {0, 0, 0, 0x8}); // RST_STREAM CANCEL
    }
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
      s.setSoTimeout(5000);
      OutputStream o = s.getOutputStream();
      try {
        o.write(out.toByteArray());
        o.flush();
      } catch (java.io.IOException closedEarly) {
        // the proxy may close while the flood is still being written
      }
      return readFrames(s.getInputStream());
    }
  }

  /** Reads frames until the proxy closes; says whether one was a GOAWAY. */
  private static String readFrames(InputStream in) throws Exception {
    boolean goAway = false;
    byte[] head = new byte[9];
    try {
      while (in.readNBytes(head, 0, 9) == 9) {
        int length = ((head[0] & 0xff) << 16) | ((head[1] & 0xff) << 8) | (head[2] & 0xff);
        goAway |= head[3] == 0x7;
        if (in.readNBytes(length).length < length) {
          break;
        }
      }
    } catch (SocketTimeoutException | java.net.SocketException e) {
      // closed or reset by the proxy
    }
    return goAway ? "GOAWAY" : "no GOAWAY";
  }

  private static void frame(ByteArrayOutputStream out, int type, int flags, int stream, byte[] p) {
    out.write(p.length >>> 16);
    out.write(p.length >>> 8);
    out.write(p.length);
    out.write(type);
    out.write(flags);
    out.write(stream >>> 24);
    out.write(stream >>> 16);
    out.write(stream >>> 8);
    out.write(stream);
    out.write(p, 0, p.length);
  }
}
