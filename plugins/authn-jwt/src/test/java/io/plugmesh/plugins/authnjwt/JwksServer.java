package io.plugmesh.plugins.authnjwt;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/** A JWKS endpoint on loopback whose document and health the test changes while it runs. */
final class JwksServer implements AutoCloseable {
  private final HttpServer server;
  private final AtomicInteger requests = new AtomicInteger();
  private volatile String document;
  private volatile int status = 200;

  JwksServer(String document) throws IOException {
    this.document = document;
    this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/jwks.json",
        exchange -> {
          requests.incrementAndGet();
          byte[] body =
              (status == 200 ? this.document : "unavailable").getBytes(StandardCharsets.UTF_8);
          exchange.getResponseHeaders().set("content-type", "application/jwk-set+json");
          exchange.sendResponseHeaders(status, body.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
          }
        });
    server.start();
  }

  String uri() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/jwks.json";
  }

  void serve(String newDocument) {
    this.document = newDocument;
    this.status = 200;
  }

  void fail(int newStatus) {
    this.status = newStatus;
  }

  int requests() {
    return requests.get();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
