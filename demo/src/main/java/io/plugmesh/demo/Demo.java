package io.plugmesh.demo;

import static java.util.Objects.requireNonNull;

import io.plugmesh.config.Limits;
import io.plugmesh.config.ProxySettings;
import io.plugmesh.control.server.ControlServer;
import io.plugmesh.kernel.control.ControlClient;
import io.plugmesh.kernel.control.ControlSettings;
import io.plugmesh.kernel.runtime.Kernel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.Deque;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;

/**
 * The local demo mesh, on loopback: a control service on the embedded file store, two sidecars that
 * take their config from it (the caller's {@code frontend} sidecar with an outbound listener, and
 * the callee's {@code reviews} sidecar with an inbound listener), three sample services (reviews-v1
 * and reviews-v2 for a 90/10 canary, and a flaky ratings service), and routes using every bundled
 * plugin. {@link #main} prints commands to paste; Ctrl-C stops everything.
 */
public final class Demo implements AutoCloseable {
  /** How long the sidecars may take to receive and apply their first config. */
  public static final Duration READY_TIMEOUT = Duration.ofSeconds(60);

  /** The system property naming the plugins folder (set by the build). */
  public static final String PLUGINS_PROPERTY = "plugmesh.demo.plugins";

  private static final Duration READY_POLL = Duration.ofMillis(50);
  private static final int ADMIN_TOKEN_BYTES = 16;

  private static final String USAGE =
      """
      usage: plugmesh demo [--plugins DIR] [--port-offset N]

        --plugins DIR      the plugin jars the sidecars load (default: $PLUGMESH_PLUGINS, or
                           $PLUGMESH_HOME/plugins)
        --port-offset N    add N to every demo port (defaults: 15000, 15001, 15006, 15010, 15011,
                           15020 on 127.0.0.1)
      """;

  /**
   * What the demo needs.
   *
   * @param pluginsDir the folder of plugin jars
   * @param ports the ports
   * @param accessLog the sidecars' access log, or null for standard output
   */
  public record Options(Path pluginsDir, DemoPorts ports, Path accessLog) {
    /** Checks the required parts. */
    public Options {
      requireNonNull(pluginsDir, "pluginsDir");
      requireNonNull(ports, "ports");
    }
  }

  private final Options options;
  private final Deque<AutoCloseable> running = new ArrayDeque<>();
  private final String adminToken;
  private final String readerToken;
  private final String guestToken;
  private final String jwks;
  private Path workDir;
  private ControlServer control;

  private Demo(Options options) {
    this.options = options;
    byte[] secret = new byte[ADMIN_TOKEN_BYTES];
    new SecureRandom().nextBytes(secret);
    this.adminToken = "demo-admin-" + HexFormat.of().formatHex(secret);
    DemoTokens tokens = DemoTokens.generate();
    this.readerToken = tokens.mint("alice", "reviews.read ratings.read");
    this.guestToken = tokens.mint("bob", "ratings.read");
    this.jwks = tokens.publicJwks();
  }

  /**
   * Starts the demo and waits until both sidecars serve their config.
   *
   * @param options what
   * @return the running demo
   * @throws Exception when a part cannot start (a port is taken, plugins are missing)
   */
  public static Demo start(Options options) throws Exception {
    requireNonNull(options, "options");
    requirePlugins(options.pluginsDir());
    options.ports().requireFree();
    Demo demo = new Demo(options);
    try {
      demo.startAll();
      return demo;
    } catch (Exception | Error e) {
      demo.close();
      throw e;
    }
  }

  private void startAll() throws Exception {
    workDir = Files.createTempDirectory("plugmesh-demo-");
    Path store = Files.createDirectories(workDir.resolve("store"));
    SampleService v1 = started(SampleService.start("reviews-v1", false));
    SampleService v2 = started(SampleService.start("reviews-v2", false));
    SampleService ratings = started(SampleService.start("ratings", true));
    Files.writeString(
        store.resolve("demo.yaml"),
        DemoConfig.yaml(options.ports(), jwks, v1.address(), v2.address(), ratings.address()),
        StandardCharsets.UTF_8);
    DemoPorts ports = options.ports();
    control =
        ControlServer.start(
            new ControlServer.Options(
                DemoPorts.HOST,
                ports.controlGrpc(),
                ports.controlHttp(),
                adminToken,
                null,
                store,
                List.of(),
                null,
                "demo-control",
                options.pluginsDir()));
    running.push(control);
    if (control.stateError() != null) {
      throw new IllegalStateException("the demo config was rejected: " + control.stateError());
    }
    Kernel frontend = sidecar(DemoConfig.FRONTEND, ports.outboundAdmin());
    Kernel reviews = sidecar(DemoConfig.REVIEWS, ports.inboundAdmin());
    awaitListener(frontend, "outbound");
    awaitListener(reviews, "inbound");
  }

  private SampleService started(SampleService service) {
    running.push(service);
    return service;
  }

  private Kernel sidecar(String service, int adminPort) throws IOException {
    ProxySettings settings =
        new ProxySettings(
            new ProxySettings.Admin(DemoPorts.HOST, adminPort),
            options.pluginsDir(),
            null,
            ProxySettings.DEFAULT_METRICS_PREFIX,
            new ProxySettings.AccessLog(ProxySettings.AccessLog.Format.TEXT, options.accessLog()),
            Limits.DEFAULTS);
    Kernel kernel = Kernel.start(settings, null, List.of());
    running.push(kernel);
    ControlClient client =
        ControlClient.start(
            kernel,
            ControlSettings.of(
                List.of(DemoPorts.HOST + ":" + options.ports().controlGrpc()),
                service,
                service,
                Map.of(),
                null,
                Files.createDirectories(workDir.resolve("state-" + service))));
    running.push(client);
    return kernel;
  }

  private void awaitListener(Kernel kernel, String listener) throws InterruptedException {
    long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
    while (true) {
      try {
        kernel.port(listener);
        return;
      } catch (IllegalArgumentException notYet) {
        if (System.nanoTime() - deadline > 0) {
          throw new IllegalStateException(
              "listener '"
                  + listener
                  + "' did not start within "
                  + READY_TIMEOUT.toSeconds()
                  + "s (control service state: "
                  + (control.stateError() == null ? "ok" : control.stateError())
                  + "; see the log above)");
        }
        Thread.sleep(READY_POLL.toMillis());
      }
    }
  }

  private static void requirePlugins(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      throw new IllegalStateException(
          "plugins folder "
              + dir
              + " does not exist (expected: the bundled plugin jars; build them with"
              + " ./mvnw -B install -DskipTests)");
    }
    try (Stream<Path> files = Files.list(dir)) {
      if (files.noneMatch(p -> p.getFileName().toString().endsWith(".jar"))) {
        throw new IllegalStateException(
            "plugins folder "
                + dir
                + " has no plugin jar (expected: the bundled plugin jars; build them with"
                + " ./mvnw -B install -DskipTests)");
      }
    }
  }

  /** The ports in use. */
  public DemoPorts ports() {
    return options.ports();
  }

  /** The control service's admin token. */
  public String adminToken() {
    return adminToken;
  }

  /** A token of {@code alice} with scopes {@code reviews.read ratings.read}. */
  public String readerToken() {
    return readerToken;
  }

  /** A token of {@code bob} with scope {@code ratings.read} only (rbac refuses it on reviews). */
  public String guestToken() {
    return guestToken;
  }

  /**
   * The commands to paste.
   *
   * @return the text
   */
  public String commands() {
    DemoPorts p = options.ports();
    String url = "http://" + DemoPorts.HOST + ":" + p.outbound();
    return """

        plugmesh demo is running (Ctrl-C stops it). On 127.0.0.1:
          %2$d  frontend sidecar, outbound listener (what the app calls)  admin %3$d
          %4$d  reviews sidecar, inbound listener (runs the plugins)      admin %5$d
          %6$d  control service, gRPC (plugmeshctl)                       HTTP  %7$d
        Routes: /reviews -> 90%% reviews-v1, 10%% reviews-v2 (tracing, authn-jwt, rbac, ratelimit,
                fault, retry); /ratings -> a service failing every first attempt (tracing,
                authn-jwt, retry). Access log lines (with trace_id) appear below as you go.

        export READER='%8$s'
        export GUEST='%9$s'
        export PLUGMESH_SERVER=127.0.0.1:%6$d PLUGMESH_TOKEN='%10$s'

        # authn-jwt: no token -> 401; a valid token -> 200 (the app's identity reaches the service)
        curl -si %1$s/reviews/1
        curl -s -H "authorization: Bearer $READER" %1$s/reviews/1

        # canary: about 90%% reviews-v1, 10%% reviews-v2
        for i in $(seq 20); do curl -s -H "authorization: Bearer $READER" %1$s/reviews/1 | head -1; done | sort | uniq -c

        # rbac: bob's token lacks scope reviews.read -> 403
        curl -si -H "authorization: Bearer $GUEST" %1$s/reviews/1

        # ratelimit: the free plan gets %11$d requests a minute, then 429
        for i in 1 2 3 4 5; do curl -s -o /dev/null -w '%%{http_code}\\n' -H "authorization: Bearer $READER" -H 'x-plan: free' %1$s/reviews/1; done

        # fault: x-fault: on -> an injected 503
        curl -si -H "authorization: Bearer $READER" -H 'x-fault: on' %1$s/reviews/1

        # retry: ratings fails the first attempt of every request; the sidecar retries
        curl -s -H "authorization: Bearer $GUEST" %1$s/ratings/1

        # tracing: your trace id travels through both sidecars to the service (and the access log)
        curl -s -H "authorization: Bearer $READER" -H 'traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' %1$s/reviews/1

        # metrics: every plugin's decisions, and the retries
        curl -s http://127.0.0.1:%5$d/metrics | grep mesh_plugin_decisions_total
        curl -s http://127.0.0.1:%5$d/metrics | grep mesh_upstream_retries_total

        # control: each sidecar's config version and ACK, and the chain a request meets
        %12$s
        %13$s
        """
        .formatted(
            url,
            p.outbound(),
            p.outboundAdmin(),
            p.inbound(),
            p.inboundAdmin(),
            p.controlGrpc(),
            p.controlHttp(),
            readerToken,
            guestToken,
            adminToken,
            DemoConfig.FREE_PLAN_PER_MINUTE,
            plugmeshctl("status"),
            plugmeshctl("explain --node reviews /reviews/1"));
  }

  /** Stops everything it started, newest first, and removes its temporary files. */
  @Override
  public synchronized void close() {
    while (!running.isEmpty()) {
      try {
        running.pop().close();
      } catch (Exception e) {
        System.err.println("plugmesh demo: while stopping: " + e);
      }
    }
    if (workDir != null) {
      try (Stream<Path> files = Files.walk(workDir)) {
        files.sorted(Comparator.reverseOrder()).forEach(Demo::deleteQuietly);
      } catch (IOException | UncheckedIOException e) {
        System.err.println("plugmesh demo: cannot remove " + workDir + ": " + e);
      }
      workDir = null;
    }
  }

  private static void deleteQuietly(Path path) {
    try {
      Files.deleteIfExists(path);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Runs the demo until Ctrl-C.
   *
   * @param args {@code [--plugins DIR] [--port-offset N]}
   * @throws Exception on startup failure
   */
  public static void main(String[] args) throws Exception {
    Path plugins = defaultPluginsDir();
    int offset = 0;
    for (int i = 0; i < args.length; i++) {
      String flag = args[i];
      if (flag.equals("-h") || flag.equals("--help")) {
        System.out.print(USAGE);
        return;
      }
      if (i + 1 >= args.length) {
        fail("option " + flag + " needs a value");
      }
      String value = args[++i];
      switch (flag) {
        case "--plugins" -> plugins = Path.of(value);
        case "--port-offset" -> {
          try {
            offset = Integer.parseInt(value);
          } catch (NumberFormatException e) {
            fail("--port-offset " + value + " (expected: an integer)");
          }
        }
        default -> fail("unknown option " + flag + "\n" + USAGE);
      }
    }
    if (plugins == null) {
      fail(
          "no plugins folder: pass --plugins DIR, or set PLUGMESH_PLUGINS or PLUGMESH_HOME"
              + " (from the build: ./mvnw -pl demo exec:java after ./mvnw install -DskipTests)");
    }
    Demo demo;
    try {
      demo = start(new Options(plugins, DemoPorts.defaultsShiftedBy(offset), null));
    } catch (IllegalStateException | IllegalArgumentException e) {
      fail(e.getMessage());
      return;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  demo.close();
                  System.out.println("plugmesh demo stopped");
                  stopped.countDown();
                },
                "plugmesh-demo-shutdown"));
    System.out.print(demo.commands());
    System.out.flush();
    stopped.await();
  }

  private static Path defaultPluginsDir() {
    String property = System.getProperty(PLUGINS_PROPERTY);
    if (property != null && !property.isBlank()) {
      return Path.of(property);
    }
    String env = System.getenv("PLUGMESH_PLUGINS");
    if (env != null && !env.isBlank()) {
      return Path.of(env);
    }
    String home = System.getenv("PLUGMESH_HOME");
    return home == null || home.isBlank() ? null : Path.of(home, "plugins");
  }

  /** A plugmeshctl command line: the distribution's script, or the CLI run from the build. */
  private static String plugmeshctl(String args) {
    String home = System.getenv("PLUGMESH_HOME");
    if (home != null && Files.isExecutable(Path.of(home, "bin", "plugmeshctl"))) {
      return Path.of(home, "bin", "plugmeshctl") + " " + args;
    }
    return "./mvnw -q -pl demo exec:java -Dexec.mainClass=io.plugmesh.ctl.PlugmeshCtl"
        + " -Dexec.args='"
        + args
        + "'";
  }

  private static void fail(String message) {
    System.err.println("plugmesh demo: " + message);
    System.exit(2);
  }
}
