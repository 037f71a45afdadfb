package io.plugmesh.kernel.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.plugmesh.config.Limits;
import io.plugmesh.filters.ConfigNode;
import io.plugmesh.filters.Filter;
import io.plugmesh.filters.FilterFactory;
import io.plugmesh.filters.FilterServices;
import io.plugmesh.filters.Phase;
import io.plugmesh.kernel.testing.KernelFixture;
import io.plugmesh.kernel.testing.TestUpstream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A kernel run from a config file that is rewritten while four clients keep sending requests: every
 * request must succeed across the switches, routing must follow each new version, and an invalid
 * edit must be rejected with the route, plugin and field while the previous config keeps serving.
 */
class ConfigReloadIT {
  static final int LOAD_THREADS = 4;
  static final int EDITS = 10;

  /** Upper bound of requests per load thread. */
  static final int MAX_REQUESTS_PER_THREAD = 50_000;

  /** Upper bound of the load's duration. */
  static final Duration MAX_LOAD_TIME = Duration.ofSeconds(40);

  /** How long the load runs on each applied version before the next edit. */
  static final Duration SOAK_PER_VERSION = Duration.ofMillis(300);

  /** How long an edit may take to be applied (or rejected) by the file watcher. */
  static final Duration APPLY_WAIT = Duration.ofSeconds(10);

  /** Slow requests in flight while a new version removes their cluster. */
  static final int IN_FLIGHT = 4;

  static final int IN_FLIGHT_DELAY_MILLIS = 1_500;

  static final Pattern VERSION = Pattern.compile("\"version\"\\s*:\\s*(\\d+)");

  /** A pass-through plugin with a required string field, so its config can be broken. */
  static final class TagFactory implements FilterFactory<ConfigNode> {
    @Override
    public String name() {
      return "tag";
    }

    @Override
    public Phase phase() {
      return Phase.OBSERVE;
    }

    @Override
    public String configSchema() {
      return """
          {"type": "object", "required": ["header"], "additionalProperties": false,
           "properties": {"header": {"type": "string"}}}
          """;
    }

    @Override
    public ConfigNode parseConfig(ConfigNode config) {
      return config;
    }

    @Override
    public Filter create(ConfigNode config, FilterServices services) {
      return (request, chain) -> chain.proceed(request);
    }
  }

  @TempDir Path dir;

  @Test
  @Timeout(value = 90, unit = TimeUnit.SECONDS)
  void editsApplyUnderLoadWithoutFailedRequestsAndInvalidEditsAreRejected() throws Exception {
    Path file = dir.resolve("routes.yaml");
    try (TestUpstream a = TestUpstream.http1("a");
        TestUpstream b = TestUpstream.http1("b");
        KernelFixture proxy =
            KernelFixture.start(KernelFixture.settings(Limits.DEFAULTS), null, new TagFactory())) {
      write(file, config(a, b, 1, 1, false, "header: x-tag"));
      try (ConfigFileWatcher watcher = ConfigFileWatcher.start(file, proxy.kernel)) {
        long version = version(proxy);
        assertThat(version).isPositive();

        Load load = new Load(proxy);
        load.start();
        try {
          load.awaitRequests(LOAD_THREADS * 20L);
          for (int edit = 1; edit <= EDITS; edit++) {
            boolean toB = edit % 2 == 1;
            // Alternate the backend (weight 0 is never picked), change the weight, and add or
            // remove a route the load does not use.
            write(
                file,
                config(a, b, toB ? 0 : edit, toB ? edit : 0, edit % 2 == 0, "header: x-" + edit));
            long expected = version + 1;
            awaitTrue(() -> version(proxy) == expected, "config version " + expected + " applied");
            version = expected;
            assertThat(watcher.lastError()).isNull();
            HttpResponse<String> probe = proxy.get("main", "/svc/echo/probe");
            assertThat(probe.statusCode()).isEqualTo(200);
            assertThat(probe.headers().firstValue("x-upstream")).hasValue(toB ? "b" : "a");
            long before = load.total();
            load.awaitRequests(before + LOAD_THREADS * 10L);
            Thread.sleep(SOAK_PER_VERSION.toMillis());
          }
          String lastUpstream = EDITS % 2 == 1 ? "b" : "a";

          // An unknown cluster: rejected, the previous version keeps serving.
          String unknownCluster =
              config(a, b, 1, 1, false, "header: x-bad")
                  .replace("{cluster: b, weight: 1}", "{cluster: nope, weight: 1}");
          write(file, unknownCluster);
          awaitTrue(() -> watcher.lastError() != null, "the unknown cluster rejected");
          assertThat(watcher.lastError())
              .contains("route 'svc'")
              .contains("backends[1].cluster")
              .contains("nope");
          assertServing(proxy, load, version, lastUpstream);

          // A plugin config error: rejected, naming route, plugin and field.
          write(file, config(a, b, 1, 1, false, "header: 5"));
          awaitTrue(
              () -> watcher.lastError() != null && watcher.lastError().contains("plugin 'tag'"),
              "the plugin config error rejected");
          assertThat(watcher.lastError()).contains("route 'svc'").contains("header");
          assertServing(proxy, load, version, lastUpstream);
        } finally {
          load.stop();
        }
        System.out.printf(
            "[ConfigReloadIT] %d requests by %d clients over %d edits + 2 rejected; by upstream:"
                + " %s; failures: %d%n",
            load.total(), LOAD_THREADS, EDITS, load.byUpstream, load.failures.size());
        assertThat(load.failures).as("failed requests").isEmpty();
        assertThat(load.byUpstream.getOrDefault("a", new LongAdder()).sum()).isPositive();
        assertThat(load.byUpstream.getOrDefault("b", new LongAdder()).sum()).isPositive();
        assertThat(a.requests()).isPositive();
        assertThat(b.requests()).isPositive();
      }
    }
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void inFlightRequestsFinishOnTheConfigTheyStartedWith() throws Exception {
    Path file = dir.resolve("routes.yaml");
    try (TestUpstream a = TestUpstream.http1("a");
        TestUpstream b = TestUpstream.http1("b");
        KernelFixture proxy =
            KernelFixture.start(KernelFixture.settings(Limits.DEFAULTS), null, new TagFactory())) {
      write(file, config(a, b, 1, 0, false, "header: x-old"));
      try (ConfigFileWatcher watcher = ConfigFileWatcher.start(file, proxy.kernel)) {
        long version = version(proxy);
        List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> slow = new ArrayList<>();
        for (int i = 0; i < IN_FLIGHT; i++) {
          slow.add(
              proxy.client.sendAsync(
                  HttpRequest.newBuilder(proxy.uri("main", "/svc/delay/" + IN_FLIGHT_DELAY_MILLIS))
                      .timeout(Duration.ofSeconds(10))
                      .build(),
                  HttpResponse.BodyHandlers.ofString()));
        }
        awaitTrue(() -> a.requests() >= IN_FLIGHT, "the slow requests reached upstream a");
        // The new version drops cluster a altogether.
        write(
            file,
            """
            listeners: [{name: main, address: 127.0.0.1:0}]
            clusters: [{name: b, endpoints: [{address: %s}]}]
            routes:
              - name: svc
                match: {pathPrefix: /svc}
                cluster: b
                plugins: [{name: tag, config: {header: x-new}}]
            """
                .formatted(b.address()));
        awaitTrue(() -> version(proxy) == version + 1, "the new version applied");
        assertThat(watcher.lastError()).isNull();
        assertThat(proxy.get("main", "/svc/echo").headers().firstValue("x-upstream")).hasValue("b");
        for (var f : slow) {
          HttpResponse<String> r = f.get(20, TimeUnit.SECONDS);
          assertThat(r.statusCode()).isEqualTo(200);
          assertThat(r.headers().firstValue("x-upstream")).hasValue("a");
        }
      }
    }
  }

  private void assertServing(KernelFixture proxy, Load load, long version, String upstream)
      throws Exception {
    assertThat(version(proxy)).isEqualTo(version);
    long before = load.total();
    load.awaitRequests(before + LOAD_THREADS * 10L);
    HttpResponse<String> probe = proxy.get("main", "/svc/echo/after-rejection");
    assertThat(probe.statusCode()).isEqualTo(200);
    assertThat(probe.headers().firstValue("x-upstream")).hasValue(upstream);
    assertThat(proxy.admin("/ready")).contains("serving config version " + version);
  }

  private static String config(
      TestUpstream a, TestUpstream b, int weightA, int weightB, boolean extra, String tag) {
    return """
        listeners: [{name: main, address: 127.0.0.1:0}]
        clusters:
          - {name: a, endpoints: [{address: %s}]}
          - {name: b, endpoints: [{address: %s}]}
        routes:
        %s  - name: svc
            match: {pathPrefix: /svc}
            backends: [{cluster: a, weight: %d}, {cluster: b, weight: %d}]
            plugins: [{name: tag, config: {%s}}]
        """
        .formatted(
            a.address(),
            b.address(),
            extra ? "  - {name: extra, match: {pathPrefix: /extra}, cluster: a}\n" : "",
            weightA,
            weightB,
            tag);
  }

  /** Replaces the file atomically, as an editor or a config deployer would. */
  private void write(Path file, String content) throws Exception {
    Path tmp = Files.createTempFile(dir, "routes", ".tmp");
    Files.writeString(tmp, content);
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private static long version(KernelFixture proxy) throws Exception {
    Matcher m = VERSION.matcher(proxy.admin("/config"));
    if (!m.find()) {
      throw new AssertionError("no version in /config");
    }
    return Long.parseLong(m.group(1));
  }

  private static void awaitTrue(CheckedCondition condition, String what) throws Exception {
    long deadline = System.nanoTime() + APPLY_WAIT.toNanos();
    while (!condition.test()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("not within " + APPLY_WAIT + ": " + what);
      }
      Thread.sleep(20);
    }
  }

  @FunctionalInterface
  private interface CheckedCondition {
    boolean test() throws Exception;
  }

  /** Four clients sending requests to /svc until stopped, bounded in count and time. */
  private static final class Load {
    private final KernelFixture proxy;
    private final ExecutorService threads = Executors.newFixedThreadPool(LOAD_THREADS);
    private final AtomicBoolean stop = new AtomicBoolean();
    private final AtomicInteger sent = new AtomicInteger();
    private final List<Future<?>> running = new ArrayList<>();
    final Map<String, LongAdder> byUpstream = new ConcurrentHashMap<>();
    final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();

    Load(KernelFixture proxy) {
      this.proxy = proxy;
    }

    void start() {
      long deadline = System.nanoTime() + MAX_LOAD_TIME.toNanos();
      for (int t = 0; t < LOAD_THREADS; t++) {
        int thread = t;
        running.add(
            threads.submit(
                () -> {
                  for (int i = 0;
                      i < MAX_REQUESTS_PER_THREAD
                          && !stop.get()
                          && System.nanoTime() - deadline < 0;
                      i++) {
                    send(thread, i);
                  }
                }));
      }
    }

    private void send(int thread, int i) {
      try {
        HttpResponse<String> r =
            proxy.client.send(
                HttpRequest.newBuilder(proxy.uri("main", "/svc/echo/" + thread + "/" + i))
                    .timeout(Duration.ofSeconds(10))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
          failures.add(r.statusCode() + " " + r.body().strip());
        } else {
          byUpstream
              .computeIfAbsent(
                  r.headers().firstValue("x-upstream").orElse("?"), k -> new LongAdder())
              .increment();
        }
      } catch (Exception e) {
        failures.add(e.toString());
      } finally {
        sent.incrementAndGet();
      }
    }

    long total() {
      return sent.get();
    }

    /** Waits until the clients sent {@code n} requests in all (or stopped). */
    void awaitRequests(long n) throws Exception {
      awaitTrue(
          () -> sent.get() >= n || running.stream().allMatch(Future::isDone), n + " requests sent");
      assertThat((long) sent.get())
          .as("requests sent before the load stopped")
          .isGreaterThanOrEqualTo(n);
    }

    void stop() throws Exception {
      stop.set(true);
      threads.shutdown();
      assertThat(threads.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
      for (Future<?> f : running) {
        f.get();
      }
    }
  }
}
