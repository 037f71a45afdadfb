package io.plugmesh.kernel;

import io.plugmesh.config.ProxySettings;
import io.plugmesh.config.SettingsLoader;
import io.plugmesh.kernel.control.CertificateSettings;
import io.plugmesh.kernel.control.ControlClient;
import io.plugmesh.kernel.control.ControlSettings;
import io.plugmesh.kernel.runtime.ConfigFileWatcher;
import io.plugmesh.kernel.runtime.Demo;
import io.plugmesh.kernel.runtime.Kernel;
import io.plugmesh.kernel.runtime.PluginDirectoryWatcher;
import io.plugmesh.kernel.runtime.ShutdownSignals;
import java.lang.reflect.InvocationTargetException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/** The {@code plugmesh} command: run a proxy from a config file, or the local demo. */
public final class Main {
  private static final String USAGE =
      """
      usage: plugmesh proxy --config FILE [--settings FILE] [--admin HOST:PORT] [--plugins DIR]
             plugmesh proxy --control HOST:PORT[,HOST:PORT...] --node-id ID [--service NAME]
                            [--label KEY=VALUE]... [--state-dir DIR] [--settings FILE]
                            [--cert-dir DIR [--trust-domain TD] [--namespace NS]
                             [--control-ca FILE]] ...
             (both: [--plugin-watch on|off])
             plugmesh demo [--plugins DIR] [--port-offset N]

        proxy   run a proxy from a static config file (edits apply atomically), or from the
                control service (token from PLUGMESH_CONTROL_TOKEN; the last good config is
                kept in --state-dir and served after a restart while the service is away);
                plugin jars added to or replaced in the plugins directory load without a restart
                (unless --plugin-watch off; POST /plugins/reload on the admin port too);
                with --cert-dir, a workload certificate for
                spiffe://TD/ns/NS/sa/SERVICE is kept there (cert.pem, key.pem, bundle.pem) from
                the control service's CA, PLUGMESH_CONTROL_TOKEN being the join token;
                --control-ca FILE: reach the control service over TLS, trusting these roots;
                SIGTERM or SIGINT drains (no new connections, /ready 503, GOAWAY and
                Connection: close, requests in flight finish within limits.drainTimeout) and
                exits 0; a second signal during the drain exits at once (143 or 130)
        demo    run a local demo mesh (control service, two sidecars, sample services, every
                bundled plugin) with commands to try; Ctrl-C stops it
      """;

  /** The demo module's entry point, used by {@code plugmesh demo} when present. */
  static final String DEMO_MAIN = "io.plugmesh.demo.Demo";

  private Main() {}

  /**
   * Entry point.
   *
   * @param args the command line
   * @throws Exception on startup failure
   */
  public static void main(String[] args) throws Exception {
    if (args.length == 0 || args[0].equals("-h") || args[0].equals("--help")) {
      System.out.print(USAGE);
      System.exit(args.length == 0 ? 2 : 0);
    }
    switch (args[0]) {
      case "proxy" -> proxy(List.of(args).subList(1, args.length));
      case "demo" -> demo(Arrays.copyOfRange(args, 1, args.length));
      default -> {
        System.err.println("unknown command '" + args[0] + "'\n" + USAGE);
        System.exit(2);
      }
    }
  }

  /**
   * Runs the demo mesh of the {@code demo} module when it is on the class path (the distribution),
   * else the kernel's own single-proxy demo.
   */
  private static void demo(String[] args) throws Exception {
    Class<?> demo;
    try {
      demo = Class.forName(DEMO_MAIN);
    } catch (ClassNotFoundException absent) {
      if (args.length > 0) {
        fail("demo: options need the demo module on the class path: " + String.join(" ", args));
      }
      Demo.run();
      return;
    }
    try {
      demo.getMethod("main", String[].class).invoke(null, (Object) args);
    } catch (InvocationTargetException e) {
      if (e.getCause() instanceof Exception cause) {
        throw cause;
      }
      throw e;
    }
  }

  private static void proxy(List<String> args) throws Exception {
    long start = System.nanoTime();
    Path config = null;
    Path settingsFile = null;
    String adminAddress = null;
    Path pluginsDir = null;
    List<String> controlServers = new ArrayList<>();
    String nodeId = null;
    String service = "";
    Map<String, String> labels = new LinkedHashMap<>();
    Path stateDir = null;
    Path certDir = null;
    String trustDomain = "cluster.local";
    String namespace = "default";
    Path controlCa = null;
    boolean watchPlugins = true;
    for (int i = 0; i < args.size(); i++) {
      String flag = args.get(i);
      if (i + 1 >= args.size()) {
        fail("option " + flag + " needs a value");
      }
      String value = args.get(++i);
      switch (flag) {
        case "--config" -> config = Path.of(value);
        case "--settings" -> settingsFile = Path.of(value);
        case "--admin" -> adminAddress = value;
        case "--plugins" -> pluginsDir = Path.of(value);
        case "--control" -> controlServers.addAll(List.of(value.split(",")));
        case "--node-id" -> nodeId = value;
        case "--service" -> service = value;
        case "--label" -> {
          int eq = value.indexOf('=');
          if (eq <= 0) {
            fail("--label " + value + " (expected: key=value)");
          }
          labels.put(value.substring(0, eq), value.substring(eq + 1));
        }
        case "--state-dir" -> stateDir = Path.of(value);
        case "--cert-dir" -> certDir = Path.of(value);
        case "--trust-domain" -> trustDomain = value;
        case "--namespace" -> namespace = value;
        case "--control-ca" -> controlCa = Path.of(value);
        case "--plugin-watch" -> {
          if (!value.equals("on") && !value.equals("off")) {
            fail("--plugin-watch " + value + " (expected: on or off)");
          }
          watchPlugins = value.equals("on");
        }
        default -> fail("unknown option " + flag);
      }
    }
    ProxySettings settings =
        settingsFile == null ? ProxySettings.DEFAULTS : SettingsLoader.load(settingsFile);
    if (adminAddress != null) {
      int colon = adminAddress.lastIndexOf(':');
      if (colon < 0) {
        fail("--admin " + adminAddress + " (expected: host:port)");
      }
      settings =
          new ProxySettings(
              new ProxySettings.Admin(
                  adminAddress.substring(0, colon),
                  Integer.parseInt(adminAddress.substring(colon + 1))),
              settings.pluginsDir(),
              settings.configFile(),
              settings.metricsPrefix(),
              settings.accessLog(),
              settings.limits());
    }
    if (pluginsDir != null) {
      settings =
          new ProxySettings(
              settings.admin(),
              pluginsDir,
              settings.configFile(),
              settings.metricsPrefix(),
              settings.accessLog(),
              settings.limits());
    }
    if (!controlServers.isEmpty()) {
      if (nodeId == null) {
        fail("--control needs --node-id ID (a unique id for this proxy)");
      }
      ControlSettings control =
          ControlSettings.of(
              controlServers,
              nodeId,
              service,
              labels,
              System.getenv("PLUGMESH_CONTROL_TOKEN"),
              stateDir);
      Kernel kernel = Kernel.start(settings, null, List.of());
      ControlClient client;
      if (certDir != null) {
        if (service.isEmpty()) {
          fail("--cert-dir needs --service NAME (the identity's service account)");
        }
        CertificateSettings certs =
            CertificateSettings.of(certDir, trustDomain, namespace, service);
        client =
            ControlClient.start(
                kernel, control, controlCa == null ? certs : certs.withControlCaFile(controlCa));
      } else if (controlCa != null) {
        fail("--control-ca needs --cert-dir DIR");
        return;
      } else {
        client = ControlClient.start(kernel, control);
      }
      awaitShutdown(start, settings, kernel, client, watchPlugins(kernel, watchPlugins));
      return;
    }
    if (config == null) {
      config = settings.configFile();
    }
    if (config == null) {
      fail("no config file: pass --config FILE or set config.file in the settings");
    }
    if (!Files.isReadable(config)) {
      fail("config file " + config + " is not readable");
    }
    Kernel kernel = Kernel.start(settings, null, List.of());
    ConfigFileWatcher watcher;
    try {
      watcher = ConfigFileWatcher.start(config, kernel);
    } catch (RuntimeException e) {
      kernel.close();
      fail(e.getMessage());
      return;
    }
    awaitShutdown(start, settings, kernel, watcher, watchPlugins(kernel, watchPlugins));
  }

  private static AutoCloseable watchPlugins(Kernel kernel, boolean on) {
    return on
        ? PluginDirectoryWatcher.start(kernel, PluginDirectoryWatcher.DEFAULT_POLL_MILLIS)
        : () -> {};
  }

  private static void awaitShutdown(
      long start,
      ProxySettings settings,
      Kernel kernel,
      AutoCloseable source,
      AutoCloseable pluginWatcher)
      throws InterruptedException {
    CountDownLatch stopped = new CountDownLatch(1);
    ShutdownSignals.install(
        () -> {
          try {
            pluginWatcher.close();
            kernel.drain();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          } catch (Exception e) {
            System.err.println("plugmesh: " + e);
          }
          try {
            source.close();
          } catch (Exception e) {
            System.err.println("plugmesh: " + e);
          }
          kernel.close();
          stopped.countDown();
        });
    System.out.printf(
        "plugmesh ready in %d ms: admin on %s:%d%n",
        (System.nanoTime() - start) / 1_000_000, settings.admin().host(), kernel.adminPort());
    stopped.await();
  }

  private static void fail(String message) {
    System.err.println("plugmesh: " + message);
    System.exit(2);
  }
}
