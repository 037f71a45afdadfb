package io.plugmesh.demo;

import static java.util.Objects.requireNonNull;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A sample service of the demo: a JDK HTTP server on loopback that echoes what reached it (the user
 * the sidecar vouched for, the trace context and the request id). A flaky one answers 503 to the
 * first attempt of every request id, so a retrying sidecar in front of it succeeds on the second.
 */
final class SampleService implements AutoCloseable {
  /** Request ids a flaky service remembers (least recently seen are forgotten first). */
  static final int MAX_REMEMBERED_REQUESTS = 10_000;

  /** Request headers echoed back, in this order. */
  static final List<String> ECHOED_HEADERS =
      List.of("x-demo-user", "traceparent", "x-request-id", "x-forwarded-for");

  private static final int THREADS = 4;
  private static final int BACKLOG = 64;

  private final String name;
  private final boolean flaky;
  private final HttpServer server;
  private final ExecutorService executor;
  private final Map<String, Integer> attempts =
      new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Integer> eldest) {
          return size() > MAX_REMEMBERED_REQUESTS;
        }
      };

  private SampleService(String name, boolean flaky) throws IOException {
    this.name = requireNonNull(name, "name");
    this.flaky = flaky;
    this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), BACKLOG);
    this.executor = Executors.newFixedThreadPool(THREADS);
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    server.start();
  }

  /**
   * Starts an echo service on an ephemeral loopback port.
   *
   * @param name the name it answers with, e.g. {@code reviews-v1}
   * @param flaky whether the first attempt of each request id fails with 503
   * @return the running service
   * @throws IOException when no port can be bound
   */
  static SampleService start(String name, boolean flaky) throws IOException {
    return new SampleService(name, flaky);
  }

  /** The {@code host:port} it listens on. */
  String address() {
    return "127.0.0.1:" + server.getAddress().getPort();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      exchange.getRequestBody().readAllBytes();
      String requestId = exchange.getRequestHeaders().getFirst("x-request-id");
      int attempt = attempt(requestId);
      StringBuilder body = new StringBuilder();
      int status = 200;
      if (flaky && requestId != null && attempt == 1) {
        status = 503;
        body.append(name).append(" failed attempt 1 on purpose (try again)\n");
      } else {
        body.append(name)
            .append(" answered ")
            .append(exchange.getRequestMethod())
            .append(' ')
            .append(exchange.getRequestURI())
            .append(flaky ? " on attempt " + attempt : "")
            .append('\n');
      }
      for (String header : ECHOED_HEADERS) {
        String value = exchange.getRequestHeaders().getFirst(header);
        if (value != null) {
          body.append("  ").append(header).append(": ").append(value).append('\n');
        }
      }
      byte[] bytes = body.toString().getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("content-type", "text/plain; charset=utf-8");
      exchange.getResponseHeaders().set("x-demo-service", name);
      exchange.sendResponseHeaders(status, bytes.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    }
  }

  private int attempt(String requestId) {
    if (!flaky || requestId == null) {
      return 1;
    }
    synchronized (attempts) {
      return attempts.merge(requestId, 1, Integer::sum);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
