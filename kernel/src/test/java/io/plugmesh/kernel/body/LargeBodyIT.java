package io.plugmesh.kernel.body;

import static org.assertj.core.api.Assertions.assertThat;

import io.plugmesh.kernel.testing.H2cClient;
import io.plugmesh.kernel.testing.KernelFixture;
import io.plugmesh.kernel.testing.MemorySampler;
import io.plugmesh.kernel.testing.TestUpstream;
import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A 1 GiB body each way, over HTTP/1.1 and over h2c, through a real kernel, read and written by
 * streaming clients, while Netty direct memory and the heap in use after GC are sampled: the proxy
 * must hold only a bounded window of the body, far below its size, and lose no byte.
 */
class LargeBodyIT {
  static final long BODY_BYTES = 1L << 30;

  /** Direct memory (Netty's default allocator, and all Netty tracks) the whole JVM may use. */
  static final long MAX_DIRECT_BYTES = 64L << 20;

  /** How much the heap in use after GC may grow during one transfer. */
  static final long MAX_HEAP_GROWTH_BYTES = 256L << 20;

  /** Client-side read and write buffer. */
  static final int CLIENT_BUFFER = 64 * 1024;

  /** Bytes a client reads before it abandons a download. */
  static final long ABANDON_AFTER_BYTES = 64L << 20;

  static final Duration TRANSFER_TIMEOUT = Duration.ofSeconds(150);

  static TestUpstream upstream;
  static KernelFixture proxy;

  @BeforeAll
  static void start() throws Exception {
    upstream = TestUpstream.http1("big");
    proxy =
        KernelFixture.start(
            """
            listeners: [{name: main, address: 127.0.0.1:0}]
            clusters: [{name: big, endpoints: [{address: %s}]}]
            routes: [{name: big, match: {pathPrefix: /}, cluster: big, timeout: %ds}]
            """
                .formatted(upstream.address(), TRANSFER_TIMEOUT.toSeconds()));
  }

  @AfterAll
  static void stop() {
    proxy.close();
    upstream.close();
  }

  @Test
  @Timeout(value = 180, unit = TimeUnit.SECONDS)
  void downloadsOneGibibyteOverHttp1InBoundedMemory() throws Exception {
    long received;
    int status;
    long start = System.nanoTime();
    MemorySampler.Peaks peaks;
    try (MemorySampler sampler = MemorySampler.start()) {
      HttpResponse<InputStream> r =
          proxy.client.send(
              HttpRequest.newBuilder(proxy.uri("main", "/bytes/" + BODY_BYTES))
                  .timeout(TRANSFER_TIMEOUT)
                  .build(),
              HttpResponse.BodyHandlers.ofInputStream());
      status = r.statusCode();
      try (InputStream in = r.body()) {
        received = drain(in);
      }
      peaks = sampler.stop();
    }
    report("HTTP/1.1 download", start, peaks);
    assertThat(status).isEqualTo(200);
    assertThat(received).isEqualTo(BODY_BYTES);
    assertBounded(peaks);
  }

  @Test
  @Timeout(value = 180, unit = TimeUnit.SECONDS)
  void uploadsOneGibibyteOverHttp1InBoundedMemory() throws Exception {
    long uploadedBefore = upstream.uploadBytes();
    long start = System.nanoTime();
    HttpResponse<String> r;
    MemorySampler.Peaks peaks;
    try (MemorySampler sampler = MemorySampler.start()) {
      r =
          proxy.client.send(
              HttpRequest.newBuilder(proxy.uri("main", "/upload"))
                  .timeout(TRANSFER_TIMEOUT)
                  .POST(
                      HttpRequest.BodyPublishers.fromPublisher(
                          HttpRequest.BodyPublishers.ofInputStream(() -> generated(BODY_BYTES)),
                          BODY_BYTES))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      peaks = sampler.stop();
    }
    report("HTTP/1.1 upload", start, peaks);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).contains("body-bytes: " + BODY_BYTES + "\n");
    assertThat(upstream.uploadBytes() - uploadedBefore).isEqualTo(BODY_BYTES);
    assertThat(upstream.last().bodyBytes()).isEqualTo(BODY_BYTES);
    assertBounded(peaks);
  }

  @Test
  @Timeout(value = 180, unit = TimeUnit.SECONDS)
  void downloadsOneGibibyteOverH2cFromAnHttp1UpstreamInBoundedMemory() throws Exception {
    long start = System.nanoTime();
    H2cClient.Result result;
    MemorySampler.Peaks peaks;
    try (H2cClient client = new H2cClient(proxy.port("main"));
        MemorySampler sampler = MemorySampler.start()) {
      result =
          client
              .get("127.0.0.1:" + proxy.port("main"), "/bytes/" + BODY_BYTES)
              .get(TRANSFER_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      peaks = sampler.stop();
    }
    report("h2c download (HTTP/1.1 upstream)", start, peaks);
    assertThat(result.status()).isEqualTo(200);
    assertThat(result.bodyBytes()).isEqualTo(BODY_BYTES);
    assertBounded(peaks);
  }

  @Test
  @Timeout(value = 180, unit = TimeUnit.SECONDS)
  void uploadsOneGibibyteOverH2cToAnHttp1UpstreamInBoundedMemory() throws Exception {
    long uploadedBefore = upstream.uploadBytes();
    long start = System.nanoTime();
    H2cClient.Result result;
    MemorySampler.Peaks peaks;
    try (H2cClient client = new H2cClient(proxy.port("main"));
        MemorySampler sampler = MemorySampler.start()) {
      result =
          client
              .post("127.0.0.1:" + proxy.port("main"), "/upload/h2c", BODY_BYTES)
              .get(TRANSFER_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      peaks = sampler.stop();
    }
    report("h2c upload (HTTP/1.1 upstream)", start, peaks);
    assertThat(result.status()).isEqualTo(200);
    assertThat(upstream.uploadBytes() - uploadedBefore).isEqualTo(BODY_BYTES);
    assertThat(upstream.last().uri()).isEqualTo("/upload/h2c");
    assertThat(upstream.last().bodyBytes()).isEqualTo(BODY_BYTES);
    assertBounded(peaks);
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void aClientThatStopsReadingMidDownloadIsLoggedAndTheProxyKeepsServing() throws Exception {
    HttpResponse<InputStream> r =
        proxy.client.send(
            HttpRequest.newBuilder(proxy.uri("main", "/abandoned/bytes/" + BODY_BYTES))
                .timeout(TRANSFER_TIMEOUT)
                .build(),
            HttpResponse.BodyHandlers.ofInputStream());
    assertThat(r.statusCode()).isEqualTo(200);
    long read = 0;
    byte[] buffer = new byte[CLIENT_BUFFER];
    try (InputStream in = r.body()) {
      while (read < ABANDON_AFTER_BYTES) {
        int n = in.read(buffer);
        assertThat(n).isPositive();
        read += n;
      }
    } // closing the stream before its end drops the connection
    awaitMetric("request_protocol=\"HTTP/1.1\",response_code=\"200\",response_flags=\"DC\"");
    HttpResponse<String> next = proxy.get("main", "/echo/after-abandon");
    assertThat(next.statusCode()).isEqualTo(200);
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void anH2cClientThatCancelsMidDownloadIsLoggedAndItsConnectionKeepsServing() throws Exception {
    String authority = "127.0.0.1:" + proxy.port("main");
    try (H2cClient client = new H2cClient(proxy.port("main"))) {
      H2cClient.Result cancelled =
          client
              .getThenCancel(authority, "/cancelled/bytes/" + BODY_BYTES, ABANDON_AFTER_BYTES)
              .get(TRANSFER_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      assertThat(cancelled.status()).isEqualTo(200);
      assertThat(cancelled.bodyBytes()).isBetween(ABANDON_AFTER_BYTES, BODY_BYTES - 1);
      awaitMetric("request_protocol=\"HTTP/2\",response_code=\"200\",response_flags=\"DC\"");
      // Another stream on the same connection is served.
      H2cClient.Result next = client.get(authority, "/bytes/1024").get(10, TimeUnit.SECONDS);
      assertThat(next.status()).isEqualTo(200);
      assertThat(next.bodyBytes()).isEqualTo(1024);
    }
  }

  private static void awaitMetric(String text) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    String metrics = proxy.admin("/metrics");
    while (!metrics.contains(text) && System.nanoTime() - deadline < 0) {
      Thread.sleep(50);
      metrics = proxy.admin("/metrics");
    }
    assertThat(metrics).contains(text);
  }

  private static void assertBounded(MemorySampler.Peaks peaks) {
    assertThat(peaks.allocatorDirectPeak())
        .as("direct memory of %s", peaks.allocator())
        .isLessThan(MAX_DIRECT_BYTES);
    assertThat(peaks.trackedDirectPeak())
        .as("direct memory Netty tracks")
        .isLessThan(MAX_DIRECT_BYTES);
    assertThat(peaks.heapGrowth()).as("heap growth after GC").isLessThan(MAX_HEAP_GROWTH_BYTES);
  }

  private static void report(String what, long startNanos, MemorySampler.Peaks peaks) {
    double seconds = (System.nanoTime() - startNanos) / 1e9;
    System.out.printf(
        "[LargeBodyIT] %s of %d bytes: %.1f s (%.0f MiB/s); %s%n",
        what, BODY_BYTES, seconds, BODY_BYTES / (1024.0 * 1024.0) / seconds, peaks);
  }

  private static long drain(InputStream in) throws java.io.IOException {
    byte[] buffer = new byte[CLIENT_BUFFER];
    long total = 0;
    int n;
    while ((n = in.read(buffer)) >= 0) {
      total += n;
    }
    return total;
  }

  /** A stream of {@code size} generated bytes, produced as they are read. */
  private static InputStream generated(long size) {
    return new InputStream() {
      private long left = size;

      @Override
      public int read() {
        if (left <= 0) {
          return -1;
        }
        left--;
        return 'x';
      }

      @Override
      public int read(byte[] b, int off, int len) {
        if (left <= 0) {
          return -1;
        }
        int n = (int) Math.min(len, left);
        java.util.Arrays.fill(b, off, off + n, (byte) 'x');
        left -= n;
        return n;
      }
    };
  }
}
