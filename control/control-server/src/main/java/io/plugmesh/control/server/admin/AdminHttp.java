package io.plugmesh.control.server.admin;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.plugmesh.control.api.v1.ApplyResponse;
import io.plugmesh.control.api.v1.DeleteResponse;
import io.plugmesh.control.api.v1.DeregisterRequest;
import io.plugmesh.control.api.v1.HeartbeatRequest;
import io.plugmesh.control.api.v1.HeartbeatResponse;
import io.plugmesh.control.api.v1.RegisterRequest;
import io.plugmesh.control.server.registry.ServiceRegistry;
import io.plugmesh.control.server.store.Kind;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin API as JSON over HTTP, mirroring the gRPC one; every request needs {@code
 * Authorization: Bearer <token>}:
 *
 * <pre>
 * POST   /v1/apply[?dryRun=true]      body: YAML or JSON document   -&gt; ApplyResponse (422 on problems)
 * GET    /v1/resources[/KIND[/NAME]]                                -&gt; the document
 * DELETE /v1/resources/KIND/NAME                                    -&gt; DeleteResponse (422 on problems)
 * GET    /v1/status                                                 -&gt; StatusResponse
 * GET    /v1/plugins                                                -&gt; PluginsResponse
 * GET    /v1/proxies/NODE/config                                    -&gt; ProxyConfigResponse
 * POST   /v1/registry/register|heartbeat|deregister   body: JSON request
 * </pre>
 */
public final class AdminHttp implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AdminHttp.class);

  /** The largest request body: 16 MiB. */
  public static final int MAX_BODY_BYTES = 16 * 1024 * 1024;

  /** Threads serving admin requests: 4. */
  public static final int THREADS = 4;

  private final HttpServer server;
  private final ExecutorService executor;
  private final ControlOperations ops;
  private final ServiceRegistry registry;
  private final TokenAuth auth;

  private AdminHttp(
      HttpServer server, ControlOperations ops, ServiceRegistry registry, TokenAuth auth) {
    this.server = server;
    this.ops = ops;
    this.registry = registry;
    this.auth = auth;
    this.executor =
        Executors.newFixedThreadPool(
            THREADS,
            r -> {
              Thread t = new Thread(r, "plugmesh-control-http");
              t.setDaemon(true);
              return t;
            });
    server.setExecutor(executor);
    server.createContext("/", this::handle);
  }

  /**
   * Starts serving.
   *
   * @param host the address to bind
   * @param port the port, 0 for ephemeral
   * @param ops the operations
   * @param registry the registry
   * @param auth the token check
   * @return the server
   * @throws IOException when the port cannot be bound
   */
  public static AdminHttp start(
      String host, int port, ControlOperations ops, ServiceRegistry registry, TokenAuth auth)
      throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 0);
    AdminHttp http =
        new AdminHttp(
            server,
            requireNonNull(ops, "ops"),
            requireNonNull(registry, "registry"),
            requireNonNull(auth, "auth"));
    server.start();
    return http;
  }

  /**
   * The bound port.
   *
   * @return the port
   */
  public int port() {
    return server.getAddress().getPort();
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      route(ex);
    }
  }

  private void route(HttpExchange ex) {
    try {
      if (!auth.accepts(ex.getRequestHeaders().getFirst("Authorization"))) {
        send(
            ex,
            401,
            "{\"error\":\"missing or wrong token (expected: Authorization: Bearer <token>)\"}");
        return;
      }
      String method = ex.getRequestMethod();
      String path = ex.getRequestURI().getPath();
      String query = ex.getRequestURI().getRawQuery();
      List<String> parts =
          List.of(path.replaceAll("^/+|/+$", "").split("/")).stream()
              .map(p -> URLDecoder.decode(p, StandardCharsets.UTF_8))
              .toList();
      if (parts.size() < 2 || !parts.get(0).equals("v1")) {
        send(ex, 404, error("no such endpoint " + path));
        return;
      }
      switch (parts.get(1)) {
        case "apply" -> {
          if (!method.equals("POST")) {
            send(ex, 405, error("use POST"));
            return;
          }
          boolean dryRun = query != null && query.contains("dryRun=true");
          ApplyResponse r = ops.apply(body(ex), dryRun);
          send(ex, r.getProblemsCount() > 0 ? 422 : 200, json(r));
        }
        case "resources" -> {
          Kind kind = parts.size() > 2 ? Kind.parse(parts.get(2)) : null;
          String name = parts.size() > 3 ? parts.get(3) : "";
          if (method.equals("GET")) {
            send(ex, 200, ops.get(kind, name).getDocument());
          } else if (method.equals("DELETE") && kind != null && !name.isEmpty()) {
            DeleteResponse r = ops.delete(kind, List.of(name));
            send(ex, r.getProblemsCount() > 0 ? 422 : 200, json(r));
          } else {
            send(ex, 405, error("use GET, or DELETE /v1/resources/KIND/NAME"));
          }
        }
        case "status" -> send(ex, 200, json(ops.status()));
        case "plugins" -> send(ex, 200, json(ops.plugins()));
        case "proxies" -> {
          if (parts.size() != 4 || !parts.get(3).equals("config")) {
            send(ex, 404, error("expected /v1/proxies/NODE/config"));
            return;
          }
          var config = ops.proxyConfig(parts.get(2));
          if (config.isEmpty()) {
            send(ex, 404, error("proxy '" + parts.get(2) + "' is not connected to this replica"));
          } else {
            send(ex, 200, json(config.get()));
          }
        }
        case "registry" -> registry(ex, parts.size() > 2 ? parts.get(2) : "");
        default -> send(ex, 404, error("no such endpoint " + path));
      }
    } catch (IOException e) {
      log.debug("admin request {}: {}", ex.getRequestURI(), e.toString());
    } catch (IllegalArgumentException e) {
      sendQuietly(ex, 400, error(e.getMessage()));
    } catch (ServiceRegistry.UnknownLeaseException e) {
      sendQuietly(ex, 404, error(e.getMessage()));
    } catch (RuntimeException e) {
      log.warn("admin request {} failed", ex.getRequestURI(), e);
      sendQuietly(ex, 500, error(String.valueOf(e.getMessage())));
    }
  }

  private void registry(HttpExchange ex, String verb) throws IOException {
    String body = body(ex);
    try {
      switch (verb) {
        case "register" -> {
          RegisterRequest.Builder b = RegisterRequest.newBuilder();
          JsonFormat.parser().merge(body, b);
          send(ex, 200, json(RegistryGrpcService.register(b.build(), registry)));
        }
        case "heartbeat" -> {
          HeartbeatRequest.Builder b = HeartbeatRequest.newBuilder();
          JsonFormat.parser().merge(body, b);
          long ttl = registry.heartbeat(b.getLeaseId());
          send(ex, 200, json(HeartbeatResponse.newBuilder().setTtlSeconds(ttl).build()));
        }
        case "deregister" -> {
          DeregisterRequest.Builder b = DeregisterRequest.newBuilder();
          JsonFormat.parser().merge(body, b);
          registry.deregister(b.getLeaseId());
          send(ex, 200, "{}");
        }
        default -> send(ex, 404, error("expected /v1/registry/register|heartbeat|deregister"));
      }
    } catch (InvalidProtocolBufferException e) {
      send(ex, 400, error("body: " + e.getMessage() + " (expected: JSON request)"));
    }
  }

  private static String body(HttpExchange ex) throws IOException {
    try (InputStream in = ex.getRequestBody()) {
      byte[] bytes = in.readNBytes(MAX_BODY_BYTES + 1);
      if (bytes.length > MAX_BODY_BYTES) {
        throw new IllegalArgumentException(
            "request body larger than " + MAX_BODY_BYTES + " bytes (expected: smaller)");
      }
      return new String(bytes, StandardCharsets.UTF_8);
    }
  }

  private static String json(Message m) {
    try {
      return JsonFormat.printer().print(m);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String error(String message) {
    return "{\"error\":" + io.plugmesh.control.server.store.Documents.json(message) + "}";
  }

  private static void sendQuietly(HttpExchange ex, int status, String body) {
    try {
      send(ex, status, body);
    } catch (IOException | RuntimeException e) {
      log.debug("cannot answer {}: {}", ex.getRequestURI(), e.toString());
    }
  }

  private static void send(HttpExchange ex, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
