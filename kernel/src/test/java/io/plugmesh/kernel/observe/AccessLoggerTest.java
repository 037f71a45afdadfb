package io.plugmesh.kernel.observe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.plugmesh.filters.advanced.ResponseFlag;
import io.plugmesh.kernel.observe.AccessLogger.Format;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

class AccessLoggerTest {

  private static final String HOSTILE_UA =
      "evil\"agent\n[2026-01-01T00:00:00.000Z] \"GET /fake\u0007\\";
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  @TempDir Path dir;

  private static RequestLog hostile() {
    return new RequestLog(
        Instant.parse("2026-03-04T05:06:07.089Z"),
        "GET",
        "/a b\r\nX-Injected: 1",
        "HTTP/2",
        503,
        EnumSet.of(ResponseFlag.UPSTREAM_CONNECTION_FAILURE, ResponseFlag.NO_HEALTHY_UPSTREAM),
        0,
        19,
        12_999_999,
        -1,
        null,
        HOSTILE_UA,
        "x".repeat(AccessLogger.MAX_VALUE_CHARS + 10),
        "\u0085host\u2028",
        null,
        "reviews-read",
        "reviews-v1",
        "fault",
        null,
        "spiffe://mesh/ns/a b",
        "outbound");
  }

  @Test
  void textLineMirrorsEnvoysDefault() throws Exception {
    Path file = dir.resolve("access.log");
    try (AccessLogger logger = AccessLogger.open(Format.TEXT, file.toString(), registry, "mesh")) {
      logger.log(RequestLogs.log("reviews-read", "reviews-v1", 200, Set.of()));
    }
    assertThat(Files.readAllLines(file))
        .containsExactly(
            "[2026-03-04T05:06:07.089Z] \"GET /reviews/1?x=y HTTP/1.1\" 200 - 12 345 7 5"
                + " \"10.0.0.1\" \"curl/8.5.0\" \"req-1\" \"reviews.test\" \"127.0.0.1:9081\""
                + " route=reviews-read cluster=reviews-v1 plugin=- "
                + "trace_id=4bf92f3577b34da6a3ce929d0e0e4736 peer=- listener=inbound");
  }

  @Test
  void textEscapesHostileValuesSoOneRequestIsOneLine() throws Exception {
    Path file = dir.resolve("access.log");
    try (AccessLogger logger = AccessLogger.open(Format.TEXT, file.toString(), registry, "mesh")) {
      logger.log(hostile());
    }
    List<String> lines = Files.readAllLines(file);
    assertThat(lines).hasSize(1);
    String line = lines.get(0);
    assertThat(line)
        .startsWith(
            "[2026-03-04T05:06:07.089Z] \"GET /a\\x20b\\x0d\\x0aX-Injected:\\x201 HTTP/2\""
                + " 503 UH,UF 0 19 12 - \"-\""
                + " \"evil\\\"agent\\x0a[2026-01-01T00:00:00.000Z]"
                + " \\\"GET /fake\\x07\\\\\" \"xxx")
        .contains("x...\" \"\\x85host\\u2028\" \"-\" route=reviews-read")
        .endsWith("plugin=fault trace_id=- peer=spiffe://mesh/ns/a\\x20b listener=outbound");
    assertThat(line.chars().filter(c -> c < 0x20 || (c >= 0x7f && c <= 0x9f))).isEmpty();
    assertThat(line).doesNotContain("x".repeat(AccessLogger.MAX_VALUE_CHARS + 1));
  }

  @Test
  void jsonHasSnakeCaseFieldsAndEscapesHostileValues() throws Exception {
    Path file = dir.resolve("access.json");
    try (AccessLogger logger = AccessLogger.open(Format.JSON, file.toString(), registry, "mesh")) {
      logger.log(hostile());
      logger.log(RequestLogs.log("reviews-read", "reviews-v1", 200, Set.of()));
    }
    List<String> lines = Files.readAllLines(file);
    assertThat(lines).hasSize(2);
    JsonMapper mapper = JsonMapper.builder().build();
    JsonNode first = mapper.readTree(lines.get(0));
    assertThat(first.propertyNames())
        .containsExactly(
            "start_time",
            "method",
            "path",
            "protocol",
            "response_code",
            "response_flags",
            "bytes_received",
            "bytes_sent",
            "duration_ms",
            "upstream_service_time_ms",
            "x_forwarded_for",
            "user_agent",
            "request_id",
            "authority",
            "upstream_host",
            "route",
            "cluster",
            "plugin",
            "trace_id",
            "peer_identity",
            "listener");
    assertThat(first.get("start_time").asString()).isEqualTo("2026-03-04T05:06:07.089Z");
    assertThat(first.get("user_agent").asString()).isEqualTo(HOSTILE_UA);
    assertThat(first.get("path").asString()).isEqualTo("/a b\r\nX-Injected: 1");
    assertThat(first.get("response_code").asInt()).isEqualTo(503);
    assertThat(first.get("response_flags").asString()).isEqualTo("UH,UF");
    assertThat(first.get("duration_ms").asLong()).isEqualTo(12);
    assertThat(first.get("upstream_service_time_ms").isNull()).isTrue();
    assertThat(first.get("x_forwarded_for").isNull()).isTrue();
    assertThat(first.get("request_id").asString())
        .hasSize(AccessLogger.MAX_VALUE_CHARS + 3)
        .endsWith("x...");
    assertThat(first.get("plugin").asString()).isEqualTo("fault");
    assertThat(first.get("listener").asString()).isEqualTo("outbound");

    JsonNode second = mapper.readTree(lines.get(1));
    assertThat(second.get("response_flags").asString()).isEqualTo("-");
    assertThat(second.get("upstream_service_time_ms").asLong()).isEqualTo(5);
    assertThat(second.get("trace_id").asString()).isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
  }

  @Test
  void aFullQueueDropsAndCountsWithoutBlocking() throws Exception {
    CountDownLatch writing = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    ByteArrayOutputStream sink = new ByteArrayOutputStream();
    OutputStream blocking =
        new OutputStream() {
          @Override
          public void write(int b) {
            throw new UnsupportedOperationException("expected whole-batch writes");
          }

          @Override
          public void write(byte[] b, int off, int len) throws IOException {
            writing.countDown();
            try {
              release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
              throw new IOException(e);
            }
            synchronized (sink) {
              sink.write(b, off, len);
            }
          }
        };
    Counter dropped = AccessLogger.droppedCounter(registry, "mesh");
    AccessLogger logger = new AccessLogger(Format.TEXT, blocking, true, 2, dropped);
    try {
      logger.log(RequestLogs.log("r0", "c", 200, Set.of()));
      assertThat(writing.await(10, TimeUnit.SECONDS)).as("writer took the first line").isTrue();
      // The writer is stuck on line 0: two lines fit the queue, the next three are dropped.
      for (int i = 1; i <= 5; i++) {
        logger.log(RequestLogs.log("r" + i, "c", 200, Set.of()));
      }
      assertThat(logger.dropped()).isEqualTo(3);
      assertThat(registry.get("mesh.access.log.dropped").counter().count()).isEqualTo(3);
    } finally {
      release.countDown();
      logger.close();
    }
    String written;
    synchronized (sink) {
      written = sink.toString(StandardCharsets.UTF_8);
    }
    assertThat(
            written.lines().map(l -> l.substring(l.indexOf("route=") + 6, l.indexOf(" cluster"))))
        .containsExactly("r0", "r1", "r2");
    // After close, lines are dropped and counted, not queued.
    logger.log(RequestLogs.log("late", "c", 200, Set.of()));
    assertThat(logger.dropped()).isEqualTo(4);
  }

  @Test
  void offWritesNothing() {
    try (AccessLogger logger = AccessLogger.open(Format.OFF, "unused", registry, "mesh")) {
      logger.log(RequestLogs.log("r", "c", 200, Set.of()));
      assertThat(logger.dropped()).isZero();
      assertThat(logger.format()).isEqualTo(Format.OFF);
    }
  }

  @Test
  void aMissingDirectoryIsAClearError() {
    String path = dir.resolve("no/such/dir/access.log").toString();
    assertThatThrownBy(() -> AccessLogger.open(Format.TEXT, path, registry, "mesh"))
        .isInstanceOf(UncheckedIOException.class)
        .hasMessageContaining(path)
        .hasMessageContaining("expected");
  }
}
