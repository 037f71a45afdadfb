package io.plugmesh.plugins.rbac;

import static org.assertj.core.api.Assertions.assertThat;

import io.plugmesh.kernel.testing.KernelFixture;
import io.plugmesh.kernel.testing.TestUpstream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** rbac loaded from its real plugin jar into a real kernel: rules, path tricks and shadow mode. */
class RbacIT {
  @TempDir static Path plugins;
  static TestUpstream app;
  static KernelFixture proxy;

  @BeforeAll
  static void start() throws Exception {
    Path jar;
    try (Stream<Path> files = Files.list(Path.of("target"))) {
      jar =
          files
              .filter(p -> p.getFileName().toString().matches("rbac-.*-plugin\\.jar"))
              .findFirst()
              .orElseThrow(() -> new AssertionError("run 'package' first: no plugin jar"));
    }
    Files.copy(jar, plugins.resolve(jar.getFileName()));
    app = TestUpstream.http1("app");
    proxy =
        KernelFixture.startWithPlugins(
            """
            listeners:
              - {name: main, address: 127.0.0.1:0}
            clusters:
              - {name: app, endpoints: [{address: %s}]}
            routes:
              - name: trial
                match: {pathPrefix: /trial}
                cluster: app
                plugins:
                  - name: rbac
                    mode: shadow
                    config: {rules: [{name: nobody, allow: {peers: ["spiffe://mesh.local/*"]}}]}
              - name: api
                match: {pathPrefix: /}
                cluster: app
                plugins:
                  - name: rbac
                    config:
                      rules:
                        - {name: no-admin, deny: {paths: [{prefix: /admin, ignoreCase: true}]}}
                        - {name: no-writes, deny: {methods: [POST, PUT, DELETE]}}
                        - {name: local, allow: {clientIps: [127.0.0.0/8, "::1/128"]}}
            """
                .formatted(app.address()),
            plugins);
  }

  @AfterAll
  static void stop() {
    if (proxy != null) {
      proxy.close();
    }
    if (app != null) {
      app.close();
    }
  }

  /** Sends a request line exactly as written (no client-side path cleanup) and returns it. */
  static String raw(String method, String target) throws Exception {
    try (Socket socket = new Socket("127.0.0.1", proxy.port("main"))) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(
          (method + " " + target + " HTTP/1.1\r\nhost: test\r\nconnection: close\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
    }
  }

  static int status(String method, String target) throws Exception {
    String response = raw(method, target);
    return Integer.parseInt(response.substring(9, 12));
  }

  @Test
  void allowsLocalReadsAndDeniesWritesWithAClearBody() throws Exception {
    assertThat(status("GET", "/echo/reviews")).isEqualTo(200);
    String denied = raw("DELETE", "/echo/reviews");
    assertThat(denied).startsWith("HTTP/1.1 403");
    assertThat(denied).contains("forbidden: denied by rbac rule 'no-writes' on route 'api'");
    assertThat(proxy.admin("/metrics"))
        .containsPattern("mesh_plugin_denied_total\\{[^}]*policy=\"no-writes\"[^}]*} 1");
  }

  @Test
  void pathTricksDoNotReachTheAdminArea() throws Exception {
    int before = app.requests();
    for (String target :
        new String[] {
          "/admin",
          "//admin",
          "/public/../admin",
          "/public/%2e%2e/admin",
          "/%61dmin/users",
          "/ADMIN",
          "/public/%2E%2E/Admin/x",
          "/admin%2Fusers",
          "/public%2F..%2Fadmin"
        }) {
      assertThat(status("GET", target)).as(target).isIn(400, 403);
    }
    assertThat(app.requests()).isEqualTo(before);
    assertThat(status("GET", "/echo/administrators-guide")).isEqualTo(200);
  }

  @Test
  void shadowModeCountsWouldBeDenialsAndLetsRequestsThrough() throws Exception {
    assertThat(status("GET", "/trial/echo")).isEqualTo(200);
    assertThat(status("GET", "/trial/echo")).isEqualTo(200);
    String metrics = proxy.admin("/metrics");
    assertThat(metrics)
        .containsPattern(
            "mesh_plugin_shadow_denied_total\\{[^}]*policy=\"default\"[^}]*route=\"trial\"[^}]*} 2");
    assertThat(metrics)
        .doesNotContainPattern(
            "mesh_plugin_denied_total\\{[^}]*policy=\"default\"[^}]*route=\"trial\"[^}]*} [1-9]");
  }
}
