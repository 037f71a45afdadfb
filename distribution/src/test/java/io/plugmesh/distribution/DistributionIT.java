package io.plugmesh.distribution;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.plugmesh.kernel.testing.TestUpstream;
import io.plugmesh.pluginruntime.PluginApi;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarInputStream;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pf4j.DefaultVersionManager;

/**
 * Unpacks the built tarball and runs it: its layout, that plugins/ holds exactly the chosen plugins
 * (all compatible with the kernel's plugin API), a proxy started by bin/plugmesh serving a route
 * through a plugin jar from plugins/, refusal of config naming a missing plugin and of a plugin
 * built for another plugin API, plugin hot reload, and the scripts' checks of Java and of the
 * control service.
 */
class DistributionIT {
  private static final Duration START_TIMEOUT = Duration.ofSeconds(90);
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final Pattern READY =
      Pattern.compile("plugmesh ready in \\d+ ms: admin on .*:(\\d+)");
  private static final String VERSION = System.getProperty("plugmesh.version");

  @TempDir static Path unpacked;
  static Path home;
  static TestUpstream upstream;

  @TempDir Path work;
  private final List<Process> processes = new ArrayList<>();
  private Path proxyLog;
  private final HttpClient client =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeAll
  static void unpack() throws Exception {
    Path tarball = Path.of(System.getProperty("plugmesh.tarball"));
    assertThat(tarball).exists();
    run(List.of("tar", "-xzf", tarball.toString(), "-C", unpacked.toString()), Map.of(), 0);
    home = unpacked.resolve("plugmesh-" + VERSION);
    upstream = TestUpstream.http1("app");
  }

  @AfterAll
  static void stopUpstream() {
    if (upstream != null) {
      upstream.close();
    }
  }

  @AfterEach
  void stopProcesses() throws Exception {
    for (Process p : processes) {
      p.destroy();
      if (!p.waitFor(20, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void layoutHasScriptsConfigLibrariesDashboardsAndLegalFiles() throws Exception {
    for (String script : List.of("plugmesh", "plugmesh-control", "plugmeshctl")) {
      Path file = home.resolve("bin").resolve(script);
      assertThat(Files.getPosixFilePermissions(file))
          .contains(PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OTHERS_EXECUTE);
      assertThat(Files.readString(file)).startsWith("#!/bin/sh\n").doesNotContain("\r");
    }
    for (String conf : List.of("proxy.yaml", "routes.yaml", "logback.xml", "jvm.options")) {
      assertThat(home.resolve("conf").resolve(conf)).isRegularFile();
    }
    assertThat(home.resolve("LICENSE")).content().contains("Apache License");
    assertThat(home.resolve("NOTICE")).isRegularFile();
    assertThat(home.resolve("README.md")).content().contains("plugmesh " + VERSION);
    assertThat(home.resolve("dashboards/grafana-plugmesh-overview.json"))
        .content()
        .contains("\"uid\": \"plugmesh-overview\"")
        .contains("mesh_requests_total");
    assertThat(home.resolve("logs")).isDirectory();
    assertThat(fileNames(home.resolve("lib")))
        .contains("kernel-" + VERSION + ".jar", "pf4j-3.15.0.jar")
        .noneMatch(name -> name.endsWith("-plugin.jar") || name.contains("junit"));
  }

  @Test
  void pluginsHoldExactlyTheChosenPluginsAndEachSupportsTheKernelsPluginApi() throws Exception {
    Set<String> available = availablePluginIds();
    String selection = System.getProperty("plugmesh.plugins", "all").strip();
    Set<String> expected = new TreeSet<>();
    if (selection.equals("all") || selection.isEmpty()) {
      expected.addAll(available);
    } else {
      Arrays.stream(selection.split("[,\\s]+")).filter(s -> !s.isEmpty()).forEach(expected::add);
    }
    Set<String> shipped = shippedPluginIds();
    assertThat(shipped).isEqualTo(expected);

    for (String id : shipped) {
      try (JarFile jar =
          new JarFile(home.resolve("plugins/" + id + "-" + VERSION + ".jar").toFile())) {
        Attributes main = jar.getManifest().getMainAttributes();
        assertThat(main.getValue("Plugin-Id")).isEqualTo(id);
        String requires = main.getValue("Plugin-Requires");
        assertThat(new DefaultVersionManager().checkVersionConstraint(PluginApi.VERSION, requires))
            .as("plugin %s requires %s, kernel offers %s", id, requires, PluginApi.VERSION)
            .isTrue();
        // Self-contained: the filter API and PF4J come from the proxy, never from the jar.
        assertThat(jar.getEntry("io/plugmesh/filters/Filter.class")).isNull();
        assertThat(jar.getEntry("org/pf4j/Plugin.class")).isNull();
        // Nor the proxy's Netty under its own name (it would clash with the proxy's classes); a
        // plugin whose library needs Netty carries it relocated (ratelimit does).
        assertThat(jar.stream().map(JarEntry::getName).filter(n -> n.startsWith("io/netty/")))
            .as("plugin %s bundles io/netty/ classes", id)
            .isEmpty();
      }
    }
  }

  @Test
  void proxyFromTheTarballServesARouteThroughAPluginAndReloadsPlugins() throws Exception {
    Path dist = copyOfHome();
    Path fixture = Path.of(System.getProperty("plugmesh.fixture.plugin"));
    Files.copy(fixture, dist.resolve("plugins").resolve(fixture.getFileName()));
    // The same plugin built for a plugin API this kernel does not offer.
    withManifest(
        fixture, dist.resolve("plugins/hello-next-9.0.0.jar"), "hello-next", "9.0.0", ">=9.0.0");
    int port = freePort();
    Path routes = dist.resolve("conf/routes.yaml");
    Files.writeString(routes, routes(port, "[{name: hello-fixture, config: {greeting: hi}}]"));

    int admin = start(dist, Map.of("JAVA_OPTS", "-Dplugmesh.test=distribution"));

    HttpResponse<String> response = get(port, "/echo");
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("x-hello")).contains("hi");
    assertThat(upstream.last().header("x-hello")).isEqualTo("hi");

    String plugins = get(admin, "/plugins").body();
    assertThat(plugins)
        .contains("\"id\":\"hello-fixture\"")
        .contains(dist.resolve("plugins").resolve(fixture.getFileName()).toString())
        .contains(
            "requires plugin API '>=9.0.0' (expected: a range that includes this kernel's plugin API "
                + PluginApi.VERSION
                + ")");

    // A config naming a plugin this distribution does not have is rejected; the old one serves on.
    long version = configVersion(admin);
    Files.writeString(routes, routes(port, "[{name: not-in-this-distribution, config: {}}]"));
    await()
        .atMost(WAIT)
        .until(
            () -> Files.readString(proxyLog).contains("unknown plugin 'not-in-this-distribution'"));
    assertThat(configVersion(admin)).isEqualTo(version);
    assertThat(get(port, "/echo").headers().firstValue("x-hello")).contains("hi");

    // Hot reload: a newer version dropped into plugins/ is loaded and the route moves to it.
    Files.writeString(routes, routes(port, "[{name: hello-fixture, config: {greeting: again}}]"));
    await().atMost(WAIT).until(() -> configVersion(admin) > version);
    long beforeReload = configVersion(admin);
    withManifest(
        fixture, dist.resolve("plugins/hello-fixture-99.0.0.jar"), "hello-fixture", "99.0.0", "*");
    await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(200))
        .until(
            () ->
                get(admin, "/plugins")
                    .body()
                    .contains("\"version\":\"99.0.0\",\"requires\":\"*\""));
    await().atMost(WAIT).until(() -> configVersion(admin) > beforeReload);
    assertThat(get(port, "/echo").headers().firstValue("x-hello")).contains("again");
  }

  @Test
  void controlServiceAndProxyFromTheTarballServeAConfigAppliedWithPlugmeshctl() throws Exception {
    assertThat(fileNames(home.resolve("lib")))
        .as("this distribution ships the control service")
        .anyMatch(n -> n.startsWith("control-server"));
    Path dist = copyOfHome();
    Path fixture = Path.of(System.getProperty("plugmesh.fixture.plugin"));
    Files.copy(fixture, dist.resolve("plugins").resolve(fixture.getFileName()));
    Path token = work.resolve("admin.token");
    Files.writeString(token, "distribution-test-token\n");
    Path store = Files.createDirectories(work.resolve("control-store"));
    int controlPort = freePort();
    Path controlLog = work.resolve("control.log");
    Process control =
        startProcess(
            dist,
            List.of(
                dist.resolve("bin/plugmesh-control").toString(),
                "--store",
                store.toString(),
                "--listen",
                "127.0.0.1:" + controlPort,
                "--token-file",
                token.toString()),
            controlLog);
    await()
        .atMost(START_TIMEOUT)
        .pollInterval(Duration.ofMillis(200))
        .until(
            () -> {
              if (!control.isAlive()) {
                throw new AssertionError("control exited:\n" + Files.readString(controlLog));
              }
              return portOpen(controlPort);
            });

    int port = freePort();
    Path proxyOut = work.resolve("proxy-control.log");
    proxyLog = proxyOut;
    Process proxy =
        startProcess(
            dist,
            List.of(
                dist.resolve("bin/plugmesh").toString(),
                "proxy",
                "--control",
                "127.0.0.1:" + controlPort,
                "--node-id",
                "app-1",
                "--service",
                "app",
                "--admin",
                "127.0.0.1:0",
                "--state-dir",
                work.resolve("proxy-state").toString()),
            proxyOut);
    await()
        .atMost(START_TIMEOUT)
        .until(
            () -> {
              if (!proxy.isAlive()) {
                throw new AssertionError("proxy exited:\n" + Files.readString(proxyOut));
              }
              return READY.matcher(Files.readString(proxyOut)).find();
            });

    Path routes = work.resolve("mesh.yaml");
    Files.writeString(routes, routes(port, "[{name: hello-fixture, config: {greeting: hello}}]"));
    List<String> ctl =
        List.of(
            dist.resolve("bin/plugmeshctl").toString(),
            "--server",
            "127.0.0.1:" + controlPort,
            "--token-file",
            token.toString());
    List<String> apply = new ArrayList<>(ctl);
    apply.addAll(List.of("apply", "-f", routes.toString()));
    run(apply, Map.of(), 0);

    await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(200))
        .ignoreExceptions()
        .until(() -> get(port, "/echo").headers().firstValue("x-hello").orElse("").equals("hello"));
    assertThat(upstream.last().header("x-hello")).isEqualTo("hello");

    List<String> status = new ArrayList<>(ctl);
    status.add("status");
    assertThat(run(status, Map.of(), 0).output()).contains("app-1");
  }

  private Process startProcess(Path dir, List<String> command, Path log) throws IOException {
    ProcessBuilder pb =
        new ProcessBuilder(command)
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    environment(pb, Map.of());
    Process process = pb.start();
    processes.add(process);
    return process;
  }

  private static boolean portOpen(int port) {
    try (java.net.Socket s = new java.net.Socket()) {
      s.connect(new java.net.InetSocketAddress("127.0.0.1", port), 200);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  @Test
  void configNamingAMissingPluginStopsTheStartWithTheReason() throws Exception {
    // A plugin this build has but this distribution did not choose, else one nobody has.
    Set<String> notShipped = new TreeSet<>(availablePluginIds());
    notShipped.removeAll(shippedPluginIds());
    String missing = notShipped.isEmpty() ? "no-such-plugin" : notShipped.iterator().next();
    Path dist = copyOfHome();
    Files.writeString(
        dist.resolve("conf/routes.yaml"),
        routes(freePort(), "[{name: " + missing + ", config: {}}]"));
    Result result =
        runScript(dist, "plugmesh", List.of("proxy", "--admin", "127.0.0.1:0"), Map.of());
    assertThat(result.exit()).isNotZero();
    assertThat(result.output()).contains("unknown plugin '" + missing + "'");
  }

  @Test
  void controlScriptsSayWhenTheControlServiceIsNotIncluded() throws Exception {
    boolean hasControl =
        fileNames(home.resolve("lib")).stream().anyMatch(n -> n.startsWith("control-server"));
    Result control = runScript(home, "plugmesh-control", List.of("--help"), Map.of());
    Result ctl = runScript(home, "plugmeshctl", List.of("--help"), Map.of());
    if (hasControl) {
      assertThat(control.output()).doesNotContain("not included in this distribution");
      assertThat(ctl.output()).doesNotContain("not included in this distribution");
    } else {
      assertThat(control.exit()).isEqualTo(1);
      assertThat(control.output())
          .contains(
              "plugmesh-control: the control service (plugmesh-control) is not included in this distribution");
      assertThat(ctl.exit()).isEqualTo(1);
      assertThat(ctl.output())
          .contains(
              "plugmeshctl: the admin CLI (plugmeshctl) is not included in this distribution");
    }
  }

  @Test
  void scriptsFailClearlyWithoutJavaOrWithAnOldOne() throws Exception {
    Path oldJava = work.resolve("old-jdk");
    Files.createDirectories(oldJava.resolve("bin"));
    Path fake = oldJava.resolve("bin/java");
    Files.writeString(
        fake,
        "#!/bin/sh\necho 'Property settings:' >&2\necho '    java.specification.version = 11' >&2\n"
            + "echo 'openjdk version \"11.0.2\"' >&2\n");
    fake.toFile().setExecutable(true);
    Result old =
        runScript(home, "plugmesh", List.of("proxy"), Map.of("JAVA_HOME", oldJava.toString()));
    assertThat(old.exit()).isEqualTo(1);
    assertThat(old.output()).contains("is Java 11 (expected: Java 17 or newer; set JAVA_HOME)");

    Result notJava =
        runScript(home, "plugmesh", List.of("proxy"), Map.of("JAVA_HOME", work.toString()));
    assertThat(notJava.exit()).isEqualTo(1);
    assertThat(notJava.output()).contains("JAVA_HOME=" + work + " has no bin/java");

    // A PATH with the tools the scripts use, but no java.
    Path tools = work.resolve("tools");
    Files.createDirectories(tools);
    for (String tool : List.of("dirname", "sed", "ls", "head", "tr")) {
      Files.createSymbolicLink(tools.resolve(tool), which(tool));
    }
    Result none =
        runScript(
            home, "plugmesh", List.of("proxy"), Map.of("JAVA_HOME", "", "PATH", tools.toString()));
    assertThat(none.exit()).isEqualTo(1);
    assertThat(none.output()).contains("no java found (expected: Java 17 or newer");
  }

  @Test
  void plugmeshHomeConfAndJavaOptsAreHonoured() throws Exception {
    Path conf = work.resolve("etc-plugmesh");
    Files.createDirectories(conf);
    int port = freePort();
    Files.writeString(
        conf.resolve("routes.yaml"),
        routes(port, "[{name: hello-fixture, config: {greeting: hi}}]"));
    Files.writeString(conf.resolve("proxy.yaml"), "config: {file: routes.yaml}\n");
    Files.writeString(conf.resolve("jvm.options"), "# small\n-Xmx128m\n\n");
    // JAVA_OPTS comes after conf/: its logging config wins over conf/logback.xml.
    Path logback = work.resolve("marked-logback.xml");
    Files.writeString(
        logback,
        """
        <configuration>
          <appender name="OUT" class="ch.qos.logback.core.ConsoleAppender">
            <encoder><pattern>MARKED %msg%n</pattern></encoder>
          </appender>
          <root level="INFO"><appender-ref ref="OUT"/></root>
        </configuration>
        """);
    // Another installation as PLUGMESH_HOME, holding the plugin in its plugins/.
    Path otherHome = copyOfHome();
    Path fixture = Path.of(System.getProperty("plugmesh.fixture.plugin"));
    Files.copy(fixture, otherHome.resolve("plugins").resolve(fixture.getFileName()));
    // Launched through a symlink from a folder of its own.
    Path launcher = work.resolve("bin");
    Files.createDirectories(launcher);
    Files.createSymbolicLink(launcher.resolve("plugmesh"), home.resolve("bin/plugmesh"));

    int admin =
        start(
            work,
            launcher.resolve("plugmesh"),
            Map.of(
                "PLUGMESH_HOME", otherHome.toString(),
                "PLUGMESH_CONF", conf.toString(),
                "JAVA_OPTS", "-Dlogback.configurationFile=" + logback));
    HttpResponse<String> response = get(port, "/echo");
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("x-hello")).contains("hi");
    assertThat(get(admin, "/plugins").body())
        .contains(otherHome.resolve("plugins").resolve(fixture.getFileName()).toString());
    assertThat(Files.readString(proxyLog)).contains("MARKED config version 1 applied");
  }

  // ---------------------------------------------------------------------------------------------

  private record Result(int exit, String output) {}

  private static String routes(int port, String plugins) {
    return """
        listeners:
          - {name: inbound, address: 127.0.0.1:%d}
        clusters:
          - {name: app, endpoints: [{address: %s}]}
        routes:
          - {name: default, match: {pathPrefix: /}, cluster: app, plugins: %s}
        """
        .formatted(port, upstream.address(), plugins);
  }

  private Path copyOfHome() throws IOException {
    Path copy = work.resolve("plugmesh");
    run(List.of("cp", "-a", home.toString(), copy.toString()), Map.of(), 0);
    return copy;
  }

  /** Starts bin/plugmesh proxy of {@code dist} and returns its admin port once ready. */
  private int start(Path dist, Map<String, String> env) throws Exception {
    return start(dist, dist.resolve("bin/plugmesh"), env);
  }

  private int start(Path dir, Path script, Map<String, String> env) throws Exception {
    Path log = Files.createTempFile(work, "proxy", ".log");
    proxyLog = log;
    ProcessBuilder pb =
        new ProcessBuilder(script.toString(), "proxy", "--admin", "127.0.0.1:0")
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    environment(pb, env);
    Process process = pb.start();
    processes.add(process);
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      String out = Files.readString(log);
      Matcher ready = READY.matcher(out);
      if (ready.find()) {
        return Integer.parseInt(ready.group(1));
      }
      if (!process.isAlive()) {
        throw new AssertionError("proxy exited with " + process.exitValue() + ":\n" + out);
      }
      Thread.sleep(100);
    }
    throw new AssertionError(
        "proxy not ready within " + START_TIMEOUT + ":\n" + Files.readString(log));
  }

  private Result runScript(Path dist, String script, List<String> args, Map<String, String> env)
      throws Exception {
    List<String> command = new ArrayList<>();
    command.add(dist.resolve("bin").resolve(script).toString());
    command.addAll(args);
    return run(command, env, -1);
  }

  private static Result run(List<String> command, Map<String, String> env, int expectedExit)
      throws IOException {
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    environment(pb, env);
    Process process = pb.start();
    try (InputStream in = process.getInputStream()) {
      String output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new AssertionError(command + " did not finish:\n" + output);
      }
      if (expectedExit >= 0 && process.exitValue() != expectedExit) {
        throw new AssertionError(command + " exited with " + process.exitValue() + ":\n" + output);
      }
      return new Result(process.exitValue(), output);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
  }

  /** The scripts find Java through JAVA_HOME: the one running the tests, unless overridden. */
  private static void environment(ProcessBuilder pb, Map<String, String> env) {
    Map<String, String> e = pb.environment();
    e.remove("PLUGMESH_HOME");
    e.remove("PLUGMESH_CONF");
    e.remove("JAVA_OPTS");
    e.put("JAVA_HOME", System.getProperty("java.home"));
    env.forEach(
        (k, v) -> {
          if (v.isEmpty()) {
            e.remove(k);
          } else {
            e.put(k, v);
          }
        });
  }

  private HttpResponse<String> get(int port, String path) throws Exception {
    return client.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(10))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private long configVersion(int admin) throws Exception {
    Matcher m = Pattern.compile("\"configVersion\":(\\d+)").matcher(get(admin, "/ready").body());
    assertThat(m.find()).isTrue();
    return Long.parseLong(m.group(1));
  }

  /** Plugin ids of every plugin module this build has. */
  private static Set<String> availablePluginIds() throws IOException {
    Set<String> available = new TreeSet<>();
    Pattern name = Pattern.compile("plugin-(.*)-" + Pattern.quote(VERSION) + "-plugin\\.jar");
    for (String file : fileNames(Path.of(System.getProperty("plugmesh.plugins.available")))) {
      Matcher m = name.matcher(file);
      if (m.matches()) {
        available.add(m.group(1));
      }
    }
    return available;
  }

  /** Plugin ids of the jars in the tarball's plugins/, each named {@code <id>-<version>.jar}. */
  private static Set<String> shippedPluginIds() throws IOException {
    Set<String> shipped = new TreeSet<>();
    String suffix = "-" + VERSION + ".jar";
    for (String file : fileNames(home.resolve("plugins"))) {
      assertThat(file).endsWith(suffix);
      shipped.add(file.substring(0, file.length() - suffix.length()));
    }
    return shipped;
  }

  private static Path which(String tool) {
    for (String dir : List.of("/usr/bin", "/bin")) {
      Path candidate = Path.of(dir, tool);
      if (Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    throw new AssertionError("no " + tool + " in /usr/bin or /bin");
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static List<String> fileNames(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  /** Copies a plugin jar with another id, version and required plugin API in its manifest. */
  private static void withManifest(
      Path source, Path target, String id, String version, String requires) throws IOException {
    try (JarInputStream in = new JarInputStream(Files.newInputStream(source))) {
      Manifest manifest = new Manifest(in.getManifest());
      Attributes main = manifest.getMainAttributes();
      main.putValue("Plugin-Id", id);
      main.putValue("Plugin-Version", version);
      main.putValue("Plugin-Requires", requires);
      try (OutputStream file = Files.newOutputStream(target);
          JarOutputStream out = new JarOutputStream(file, manifest)) {
        for (JarEntry entry = in.getNextJarEntry(); entry != null; entry = in.getNextJarEntry()) {
          out.putNextEntry(new JarEntry(entry.getName()));
          in.transferTo(out);
          out.closeEntry();
        }
      }
    }
  }
}
