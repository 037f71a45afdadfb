package io.plugmesh.control.server.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A real etcd server (the OS package's {@code etcd}) on loopback ports, stopped by PID. */
public final class EtcdProcess implements AutoCloseable {
  private static final long START_TIMEOUT_MILLIS = 20_000;

  private final Process process;
  private final int clientPort;
  private final Path dataDir;

  private EtcdProcess(Process process, int clientPort, Path dataDir) {
    this.process = process;
    this.clientPort = clientPort;
    this.dataDir = dataDir;
  }

  /** Starts etcd and waits until it answers /health. */
  public static EtcdProcess start() throws Exception {
    Path dir = Files.createTempDirectory("plugmesh-etcd");
    int client = freePort();
    int peer = freePort();
    String clientUrl = "http://127.0.0.1:" + client;
    String peerUrl = "http://127.0.0.1:" + peer;
    Process p =
        new ProcessBuilder(
                List.of(
                    "etcd",
                    "--name",
                    "t1",
                    "--data-dir",
                    dir.resolve("data").toString(),
                    "--listen-client-urls",
                    clientUrl,
                    "--advertise-client-urls",
                    clientUrl,
                    "--listen-peer-urls",
                    peerUrl,
                    "--initial-advertise-peer-urls",
                    peerUrl,
                    "--initial-cluster",
                    "t1=" + peerUrl))
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("etcd.log").toFile())
            .start();
    EtcdProcess etcd = new EtcdProcess(p, client, dir);
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    long deadline = System.currentTimeMillis() + START_TIMEOUT_MILLIS;
    while (System.currentTimeMillis() < deadline) {
      if (!p.isAlive()) {
        throw new IllegalStateException(
            "etcd exited: " + Files.readString(dir.resolve("etcd.log")));
      }
      try {
        HttpResponse<String> r =
            http.send(
                HttpRequest.newBuilder(URI.create(clientUrl + "/health"))
                    .timeout(Duration.ofSeconds(1))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200 && r.body().contains("true")) {
          return etcd;
        }
      } catch (IOException e) {
        // not up yet
      }
      Thread.sleep(100);
    }
    etcd.close();
    throw new IllegalStateException(
        "etcd did not become healthy in " + START_TIMEOUT_MILLIS + " ms");
  }

  /** A port free now. */
  public static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** The client URL. */
  public String endpoint() {
    return "http://127.0.0.1:" + clientPort;
  }

  @Override
  public void close() throws IOException {
    process.destroy();
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
    try (var paths = Files.walk(dataDir)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    }
  }
}
