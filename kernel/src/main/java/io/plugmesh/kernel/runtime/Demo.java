package io.plugmesh.kernel.runtime;

import com.sun.net.httpserver.HttpServer;
import io.plugmesh.config.ConfigLoader;
import io.plugmesh.config.ProxySettings;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;

/**
 * The local demo: two versions of a sample service behind one proxy with a 90/10 canary split, on
 * loopback, with commands to paste. Ctrl-C stops everything.
 */
public final class Demo {
  /** The demo proxy's listener port. */
  public static final int PROXY_PORT = 15001;

  /** The demo proxy's admin port. */
  public static final int ADMIN_PORT = 15000;

  private Demo() {}

  /**
   * Runs the demo until interrupted.
   *
   * @throws Exception on startup failure
   */
  public static void run() throws Exception {
    HttpServer v1 = sample("reviews-v1");
    HttpServer v2 = sample("reviews-v2");
    String yaml =
        """
        listeners:
          - {name: demo, address: 127.0.0.1:%d}
        clusters:
          - {name: reviews-v1, endpoints: [{address: 127.0.0.1:%d}]}
          - {name: reviews-v2, endpoints: [{address: 127.0.0.1:%d}]}
        routes:
          - name: reviews
            match: {pathPrefix: /reviews}
            backends: [{cluster: reviews-v1, weight: 90}, {cluster: reviews-v2, weight: 10}]
            timeout: 2s
        """
            .formatted(PROXY_PORT, v1.getAddress().getPort(), v2.getAddress().getPort());
    ProxySettings settings =
        new ProxySettings(
            new ProxySettings.Admin("127.0.0.1", ADMIN_PORT),
            ProxySettings.DEFAULTS.pluginsDir(),
            null,
            ProxySettings.DEFAULTS.metricsPrefix(),
            ProxySettings.DEFAULTS.accessLog(),
            ProxySettings.DEFAULTS.limits());
    Kernel kernel = Kernel.start(settings, ConfigLoader.parseYaml(yaml, "demo"), List.of());
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  kernel.close();
                  v1.stop(0);
                  v2.stop(0);
                  stopped.countDown();
                },
                "plugmesh-demo-shutdown"));
    System.out.printf(
        """

        plugmesh demo is running (Ctrl-C stops it).
          proxy   http://127.0.0.1:%1$d   (route 'reviews': 90%% reviews-v1, 10%% reviews-v2)
          admin   http://127.0.0.1:%2$d

        Try:
          curl -s http://127.0.0.1:%1$d/reviews/1
          for i in $(seq 20); do curl -s http://127.0.0.1:%1$d/reviews/1; done | sort | uniq -c
          curl -s --http2-prior-knowledge http://127.0.0.1:%1$d/reviews/1
          curl -si http://127.0.0.1:%1$d/nowhere
          curl -s http://127.0.0.1:%2$d/metrics | grep mesh_requests_total
          curl -s http://127.0.0.1:%2$d/config

        """,
        kernel.port("demo"), kernel.adminPort());
    stopped.await();
  }

  private static HttpServer sample(String name) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
    server.setExecutor(Executors.newFixedThreadPool(2));
    server.createContext(
        "/",
        exchange -> {
          byte[] body =
              (name
                      + " answered "
                      + exchange.getRequestMethod()
                      + " "
                      + exchange.getRequestURI()
                      + "\n")
                  .getBytes(StandardCharsets.UTF_8);
          exchange.getResponseHeaders().set("content-type", "text/plain; charset=utf-8");
          exchange.sendResponseHeaders(200, body.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
          }
        });
    server.start();
    return server;
  }
}
