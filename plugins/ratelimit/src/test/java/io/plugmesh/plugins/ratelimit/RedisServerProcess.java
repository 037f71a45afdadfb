package io.plugmesh.plugins.ratelimit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A real {@code redis-server} started as a process on 127.0.0.1 and an ephemeral port, without
 * persistence. Stop, pause (SIGSTOP: connected but silent) and restart on the same port to test
 * outages. When the binary is missing the test is skipped, except in CI ({@code CI=true}) where it
 * fails: install the {@code redis-server} package.
 */
public final class RedisServerProcess implements AutoCloseable {

  /** The binary. */
  public static final String BINARY = "redis-server";

  /** How long to wait for the server to answer PING after starting: 10s. */
  static final Duration START_TIMEOUT = Duration.ofSeconds(10);

  /** How long to wait for the process to end after SIGTERM: 10s. */
  static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

  private final int port;
  private final Path dir;
  private Process process;

  private RedisServerProcess(int port, Path dir) {
    this.port = port;
    this.dir = dir;
  }

  /**
   * Starts a server on a free ephemeral port.
   *
   * @return the running server
   * @throws Exception if it does not start
   */
  public static RedisServerProcess start() throws Exception {
    requireBinary();
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    RedisServerProcess server =
        new RedisServerProcess(port, Files.createTempDirectory("plugmesh-redis-"));
    server.launch();
    return server;
  }

  private static void requireBinary() {
    boolean present =
        List.of(System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)).stream()
            .anyMatch(d -> !d.isEmpty() && Files.isExecutable(Path.of(d, BINARY)));
    if (!present) {
      String message =
          BINARY
              + " not found on PATH: install it (apt-get install -y --no-install-recommends"
              + " redis-server); scripts/test-all.sh does";
      if ("true".equalsIgnoreCase(System.getenv("CI"))) {
        throw new IllegalStateException(message);
      }
      Assumptions.abort(message);
    }
  }

  private void launch() throws Exception {
    process =
        new ProcessBuilder(
                BINARY,
                "--port",
                Integer.toString(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                dir.toString())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("redis.log").toFile())
            .start();
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            BINARY + " exited with " + process.exitValue() + ": " + log());
      }
      if (ping()) {
        return;
      }
      Thread.sleep(20);
    }
    process.destroyForcibly();
    throw new IllegalStateException(BINARY + " did not answer PING within " + START_TIMEOUT);
  }

  private String log() {
    try {
      return Files.readString(dir.resolve("redis.log"));
    } catch (IOException e) {
      return "(no log)";
    }
  }

  /**
   * Whether the server answers PING now (within 1s).
   *
   * @return true on {@code +PONG}
   */
  public boolean ping() {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
      socket.setSoTimeout(1000);
      OutputStream out = socket.getOutputStream();
      out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      byte[] buf = new byte[7];
      int n = in.readNBytes(buf, 0, buf.length);
      return new String(buf, 0, n, StandardCharsets.US_ASCII).startsWith("+PONG");
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * How many clients are connected now, not counting the connection that asks.
   *
   * @return the count from {@code INFO clients}
   * @throws IOException if the server does not answer
   */
  public int connectedClients() throws IOException {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
      socket.setSoTimeout(1000);
      OutputStream out = socket.getOutputStream();
      out.write("INFO clients\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      StringBuilder header = new StringBuilder();
      for (int c = in.read(); c != '\n'; c = in.read()) {
        if (c < 0) {
          throw new IOException("INFO clients: connection closed");
        }
        header.append((char) c);
      }
      if (header.charAt(0) != '$') {
        throw new IOException("INFO clients: unexpected reply " + header);
      }
      int length = Integer.parseInt(header.toString().trim().substring(1));
      String info = new String(in.readNBytes(length), StandardCharsets.US_ASCII);
      for (String line : info.split("\r\n")) {
        if (line.startsWith("connected_clients:")) {
          return Integer.parseInt(line.substring("connected_clients:".length()).trim()) - 1;
        }
      }
      throw new IOException("INFO clients: no connected_clients in " + info);
    }
  }

  /**
   * The server's port.
   *
   * @return the port
   */
  public int port() {
    return port;
  }

  /**
   * The URI clients use.
   *
   * @return {@code redis://127.0.0.1:<port>}
   */
  public String uri() {
    return "redis://127.0.0.1:" + port;
  }

  /**
   * The process id.
   *
   * @return the pid
   */
  public long pid() {
    return process.pid();
  }

  /**
   * Stops the server (SIGTERM to its PID) and waits for it to end.
   *
   * @throws InterruptedException if interrupted
   */
  public void stop() throws InterruptedException {
    if (process == null || !process.isAlive()) {
      return;
    }
    process.destroy();
    if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly().waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  /**
   * Starts the server again on the same port (after {@link #stop()}).
   *
   * @throws Exception if it does not start
   */
  public void restart() throws Exception {
    stop();
    launch();
  }

  /**
   * Freezes the process (SIGSTOP): connections stay open, nothing is answered.
   *
   * @throws Exception if {@code kill} fails
   */
  public void pause() throws Exception {
    signal("-STOP");
  }

  /**
   * Thaws a paused process (SIGCONT).
   *
   * @throws Exception if {@code kill} fails
   */
  public void resume() throws Exception {
    signal("-CONT");
  }

  private void signal(String signal) throws Exception {
    Process kill = new ProcessBuilder("kill", signal, Long.toString(pid())).start();
    if (!kill.waitFor(5, TimeUnit.SECONDS) || kill.exitValue() != 0) {
      throw new IllegalStateException("kill " + signal + " " + pid() + " failed");
    }
  }

  @Override
  public void close() throws IOException {
    try {
      if (process != null && process.isAlive()) {
        signal("-CONT"); // a paused process ignores SIGTERM until continued
      }
      stop();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      throw new IOException("stopping " + BINARY + " failed", e);
    }
    try (var files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
