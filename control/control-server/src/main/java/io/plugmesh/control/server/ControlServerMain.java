package io.plugmesh.control.server;

import io.plugmesh.control.server.ca.JoinTokens;
import io.plugmesh.control.server.ca.SecurityOptions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/** The {@code plugmesh-control} command: run one control service replica. */
public final class ControlServerMain {
  private static final String USAGE =
      """
      usage: plugmesh-control (--store DIR | --etcd URL[,URL...]) [--listen HOST:PORT]
                              [--http HOST:PORT] [--name NAME] [--etcd-prefix PREFIX]
                              [--plugins DIR] [--token-file FILE] [--proxy-token-file FILE]
                              [--join-tokens FILE [--trust-domain TD] [--ca-dir DIR]
                               [--root-cert FILE --root-key FILE] [--workload-ttl SECONDS]
                               [--tls on|off]]

        --store DIR     desired state in a directory of YAML files (single node, watched)
        --etcd URLS     desired state, registry and status in etcd (several replicas)
        --listen        gRPC for proxies, admin and registry (default 127.0.0.1:15010)
        --http          JSON admin API (default 127.0.0.1:15011; 'off' for none)
        --token-file    the admin token (or PLUGMESH_CONTROL_TOKEN); required
        --plugins DIR   plugin jars whose filters are known before any proxy connects
        --join-tokens   be the mesh CA; proxies authenticate with join tokens, one per line:
                        '<token> <namespace>/<service>' (identity and config come from it)
        --trust-domain  the trust domain of a generated root (default cluster.local)
        --ca-dir        where roots are kept and generated (default STORE/.ca)
        --root-cert/--root-key  use this root instead
        --workload-ttl  workload certificate lifetime in seconds (default 86400)
        --tls on        serve gRPC over TLS with a certificate from the mesh CA
      """;

  private ControlServerMain() {}

  /**
   * Entry point.
   *
   * @param args the command line
   * @throws Exception on startup failure
   */
  public static void main(String[] args) throws Exception {
    String listen = "127.0.0.1:15010";
    String httpAddress = "127.0.0.1:15011";
    Path store = null;
    List<String> etcd = new ArrayList<>();
    String prefix = "/plugmesh";
    String name = "control";
    Path plugins = null;
    String token = System.getenv("PLUGMESH_CONTROL_TOKEN");
    String proxyToken = null;
    Path joinTokens = null;
    String trustDomain = null;
    Path caDir = null;
    Path rootCert = null;
    Path rootKey = null;
    Duration workloadTtl = null;
    boolean tls = false;
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
        case "--listen" -> listen = value;
        case "--http" -> httpAddress = value;
        case "--store" -> store = Path.of(value);
        case "--etcd" -> etcd.addAll(List.of(value.split(",")));
        case "--etcd-prefix" -> prefix = value;
        case "--name" -> name = value;
        case "--plugins" -> plugins = Path.of(value);
        case "--token-file" ->
            token = Files.readString(Path.of(value), StandardCharsets.UTF_8).trim();
        case "--proxy-token-file" ->
            proxyToken = Files.readString(Path.of(value), StandardCharsets.UTF_8).trim();
        case "--join-tokens" -> joinTokens = Path.of(value);
        case "--trust-domain" -> trustDomain = value;
        case "--ca-dir" -> caDir = Path.of(value);
        case "--root-cert" -> rootCert = Path.of(value);
        case "--root-key" -> rootKey = Path.of(value);
        case "--workload-ttl" -> workloadTtl = Duration.ofSeconds(Long.parseLong(value));
        case "--tls" -> tls = value.equals("on");
        default -> fail("unknown option " + flag);
      }
    }
    if (token == null || token.isBlank()) {
      fail("no admin token: pass --token-file FILE or set PLUGMESH_CONTROL_TOKEN");
    }
    if ((store == null) == etcd.isEmpty()) {
      fail("pass exactly one of --store DIR or --etcd URL");
    }
    int colon = listen.lastIndexOf(':');
    if (colon < 0) {
      fail("--listen " + listen + " (expected: host:port)");
    }
    int httpPort = -1;
    if (!httpAddress.equals("off")) {
      int c = httpAddress.lastIndexOf(':');
      if (c < 0) {
        fail("--http " + httpAddress + " (expected: host:port or off)");
      }
      httpPort = Integer.parseInt(httpAddress.substring(c + 1));
    }
    SecurityOptions security = null;
    if (joinTokens != null) {
      security =
          new SecurityOptions(
              trustDomain, caDir, rootCert, rootKey, workloadTtl, JoinTokens.read(joinTokens), tls);
    } else if (tls) {
      fail("--tls on needs --join-tokens FILE (the mesh CA issues the server certificate)");
    }
    ControlServer server =
        ControlServer.start(
            new ControlServer.Options(
                listen.substring(0, colon),
                Integer.parseInt(listen.substring(colon + 1)),
                httpPort,
                token,
                proxyToken,
                store,
                etcd,
                prefix,
                name,
                plugins),
            security);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  server.close();
                  stopped.countDown();
                },
                "plugmesh-control-shutdown"));
    System.out.printf(
        "plugmesh-control ready: grpc %d, http %d%n", server.grpcPort(), server.httpPort());
    stopped.await();
  }

  private static void fail(String message) {
    System.err.println("plugmesh-control: " + message);
    System.exit(2);
  }
}
