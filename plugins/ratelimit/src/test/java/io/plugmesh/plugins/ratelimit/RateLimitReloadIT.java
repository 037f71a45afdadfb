package io.plugmesh.plugins.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import io.plugmesh.filters.FilterFactory;
import io.plugmesh.filters.internal.ChainRunner;
import io.plugmesh.kernel.testing.KernelFixture;
import io.plugmesh.kernel.testing.TestUpstream;
import java.lang.ref.WeakReference;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Hot reload of the real plugin jar in global mode against a real redis-server, under steady
 * concurrent load: the jar is replaced by a newer version twice, every request is answered 200 or
 * an intended 429, routes move to each new version, and each old version is unloaded (its Redis
 * connection closed and its class loader collected).
 */
class RateLimitReloadIT {
  private static final JsonMapper JSON = JsonMapper.builder().build();

  /** Clients sending requests back to back while the jar is replaced: 4. */
  static final int CLIENTS = 4;

  /** Most requests the load sends in all: 20,000. */
  static final int MAX_REQUESTS = 20_000;

  /** Longest the load runs, whatever else happens: 2 minutes. */
  static final Duration MAX_LOAD_TIME = Duration.ofMinutes(2);

  /** Requests the load sends on each plugin version before the next step: 400. */
  static final int REQUESTS_PER_VERSION = 400;

  /** How long a step may take on a loaded machine: 30s. */
  static final Duration WAIT = Duration.ofSeconds(30);

  /** The versions the test releases after the first, in order. */
  static final List<String> NEXT_VERSIONS = List.of("1.0.1", "1.0.2");

  static final List<String> ROUTES = List.of("limited", "open");

  @TempDir static Path temp;
  static RedisServerProcess redis;
  static TestUpstream upstream;
  static KernelFixture proxy;
  static Path jar;

  static String yaml(String redisUri) {
    // failurePolicy closed: a version that cannot reach Redis would answer 503, not hide it.
    return """
        listeners:
          - {name: main, address: 127.0.0.1:0}
        clusters:
          - {name: u, endpoints: [{address: %1$s}]}
        routes:
          - name: limited
            match: {pathPrefix: /limited}
            cluster: u
            plugins:
              - name: ratelimit
                config:
                  mode: global
                  key: header:x-caller
                  limits: [{name: small, tokens: 20, per: 1s, capacity: 20}]
                  redis: {uri: "%2$s", timeout: 1s, failurePolicy: closed}
          - name: open
            match: {pathPrefix: /open}
            cluster: u
            plugins:
              - name: ratelimit
                config:
                  mode: global
                  limits: [{name: large, tokens: 1000000, per: 1h}]
                  redis: {uri: "%2$s", timeout: 1s, failurePolicy: closed}
        """
        .formatted(upstream.address(), redisUri);
  }

  @BeforeAll
  static void start() throws Exception {
    redis = RedisServerProcess.start();
    upstream = TestUpstream.http1("u");
    Path plugins = Files.createDirectories(temp.resolve("plugins"));
    jar = TestSupport.pluginJarWithVersion("1.0.0", plugins.resolve("ratelimit.jar"));
    proxy = KernelFixture.startWithPlugins(yaml(redis.uri()), plugins);
    Awaitility.await()
        .atMost(WAIT)
        .until(() -> proxy.get("main", "/open/echo").statusCode() == 200);
  }

  @AfterAll
  static void stop() throws Exception {
    if (proxy != null) {
      proxy.close();
    }
    if (upstream != null) {
      upstream.close();
    }
    if (redis != null) {
      redis.close();
    }
  }

  /** Requests sent back to back by {@link #CLIENTS} threads, bounded in count and time. */
  static final class Load {
    final AtomicBoolean stop = new AtomicBoolean();
    final AtomicInteger sent = new AtomicInteger();
    final Map<String, LongAdder> statuses = new ConcurrentHashMap<>();
    final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    final ExecutorService threads = Executors.newFixedThreadPool(CLIENTS);
    final List<Future<?>> clients = new ArrayList<>();
    final long deadline = System.nanoTime() + MAX_LOAD_TIME.toNanos();

    Load() {
      for (int c = 0; c < CLIENTS; c++) {
        String caller = "caller-" + c;
        clients.add(threads.submit(() -> run(caller)));
      }
    }

    private void run(String caller) {
      for (int i = 0; !stop.get() && System.nanoTime() < deadline; i++) {
        if (sent.incrementAndGet() > MAX_REQUESTS) {
          return;
        }
        String route = ROUTES.get(i % ROUTES.size());
        String outcome;
        try {
          HttpResponse<String> response =
              proxy.client.send(
                  HttpRequest.newBuilder(proxy.uri("main", "/" + route + "/echo"))
                      .header("x-caller", caller)
                      .timeout(Duration.ofSeconds(10))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
          outcome = route + " " + response.statusCode();
          boolean intended =
              response.statusCode() == 200
                  || (response.statusCode() == 429
                      && route.equals("limited")
                      && response.body().startsWith("rate limit exceeded"));
          if (!intended) {
            failures.add(outcome + ": " + response.body().strip());
          }
        } catch (Exception e) {
          outcome = route + " " + e.getClass().getSimpleName();
          failures.add(outcome + ": " + e.getMessage());
        }
        statuses.computeIfAbsent(outcome, k -> new LongAdder()).increment();
      }
    }

    /** Waits until the load sent {@code n} more requests. */
    void awaitMore(int n) {
      int target = sent.get() + n;
      Awaitility.await()
          .atMost(WAIT)
          .pollInterval(Duration.ofMillis(20))
          .until(() -> sent.get() >= target || clients.stream().allMatch(Future::isDone));
      assertThat(sent.get()).as("requests sent").isGreaterThanOrEqualTo(target);
    }

    long count(String outcome) {
      LongAdder n = statuses.get(outcome);
      return n == null ? 0 : n.sum();
    }

    /** Stops the clients and waits for their last requests. */
    void stop() throws Exception {
      stop.set(true);
      threads.shutdown();
      assertThat(threads.awaitTermination(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
    }
  }

  private static FilterFactory<?> factory() {
    return proxy.kernel.plugins().factory(RateLimitFilterFactory.NAME).orElseThrow();
  }

  /** The class loader of the ratelimit version loaded now, without keeping it. */
  private static WeakReference<ClassLoader> currentLoader() {
    return new WeakReference<>(factory().getClass().getClassLoader());
  }

  /** Whether every route's ratelimit filter comes from the plugin version loaded now. */
  private static boolean routesRunCurrentVersion() {
    ClassLoader current = factory().getClass().getClassLoader();
    for (String route : ROUTES) {
      for (ChainRunner.Link link : proxy.kernel.snapshot().chain(route).runner().links()) {
        if (link.name().equals(RateLimitFilterFactory.NAME)
            && link.filter().getClass().getClassLoader() != current) {
          return false;
        }
      }
    }
    return true;
  }

  private static HttpResponse<String> reload() throws Exception {
    return proxy.client.send(
        HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + proxy.kernel.adminPort() + "/plugins/reload"))
            .timeout(Duration.ofSeconds(30))
            .POST(HttpRequest.BodyPublishers.noBody())
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void replacingTheJarTwiceUnderLoadFailsNoRequestAndUnloadsEachOldVersion() throws Exception {
    assertThat(
            proxy.kernel.plugins().pluginFor(RateLimitFilterFactory.NAME).orElseThrow().version())
        .isEqualTo("1.0.0");
    assertThat(routesRunCurrentVersion()).isTrue();
    assertThat(redis.connectedClients()).isEqualTo(1);

    Load load = new Load();
    try {
      load.awaitMore(REQUESTS_PER_VERSION);
      for (String version : NEXT_VERSIONS) {
        WeakReference<ClassLoader> oldLoader = currentLoader();

        TestSupport.pluginJarWithVersion(version, jar);
        int sentBefore = load.sent.get();
        HttpResponse<String> reloaded = reload();
        assertThat(load.sent.get()).as("requests sent during the reload").isGreaterThan(sentBefore);
        assertThat(reloaded.statusCode()).as(reloaded.body()).isEqualTo(200);
        JsonNode body = JSON.readTree(reloaded.body());
        assertThat(body.get("loaded").get(0).get("version").asString()).isEqualTo(version);
        assertThat(body.get("retired").get(0).get("version").asString()).isNotEqualTo(version);
        assertThat(
                proxy
                    .kernel
                    .plugins()
                    .pluginFor(RateLimitFilterFactory.NAME)
                    .orElseThrow()
                    .version())
            .isEqualTo(version);
        assertThat(routesRunCurrentVersion()).as("routes run %s", version).isTrue();
        assertThat(oldLoader.get()).isNotSameAs(factory().getClass().getClassLoader());

        // The new version serves the load.
        load.awaitMore(REQUESTS_PER_VERSION);

        // The old version is unloaded once its last requests finished: its Redis connection is
        // closed and nothing keeps its class loader.
        Awaitility.await()
            .atMost(WAIT)
            .pollInterval(Duration.ofMillis(200))
            .until(
                () -> {
                  System.gc();
                  proxy.kernel.plugins().releaseUnused();
                  return oldLoader.get() == null;
                });
        assertThat(proxy.kernel.plugins().retired()).isEmpty();
        Awaitility.await().atMost(WAIT).until(() -> redis.connectedClients() == 1);
      }
      load.awaitMore(REQUESTS_PER_VERSION);
      load.stop();

      System.out.printf(
          "ratelimit reloaded twice under load: %d requests, outcomes %s%n",
          load.sent.get(), new TreeMap<>(load.statuses));
      assertThat(load.failures).as("failed requests").isEmpty();
      assertThat(load.count("open 200")).isPositive();
      assertThat(load.count("limited 200")).isPositive();
      assertThat(load.count("limited 429")).isPositive();
    } finally {
      load.stop();
    }
    assertThat(TestSupport.metric(proxy, "mesh_plugin_ratelimit_backend_errors_total")).isZero();
  }
}
