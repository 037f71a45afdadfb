package io.plugmesh.control.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.plugmesh.control.server.testing.ControlFixture;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The JSON admin API: token, apply, get, delete, status, registry. */
class AdminHttpIT {
  @TempDir Path dir;
  ControlServer server;
  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeEach
  void start() throws Exception {
    server = ControlFixture.files(dir);
  }

  @AfterEach
  void stop() {
    server.close();
  }

  HttpResponse<String> call(String method, String path, String body, String token)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.httpPort() + path))
            .timeout(Duration.ofSeconds(10))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void everyCallNeedsTheToken() throws Exception {
    assertThat(call("GET", "/v1/status", null, null).statusCode()).isEqualTo(401);
    assertThat(call("GET", "/v1/status", null, "wrong").statusCode()).isEqualTo(401);
    assertThat(call("POST", "/v1/apply", "clusters: []", "wrong").statusCode()).isEqualTo(401);
    assertThat(call("GET", "/v1/status", null, ControlFixture.TOKEN).statusCode()).isEqualTo(200);
  }

  @Test
  void applyGetDeleteAndRegistry() throws Exception {
    String t = ControlFixture.TOKEN;
    String doc =
        """
        clusters:
          - {name: reviews, endpoints: []}
        routes:
          - {name: r, match: {pathPrefix: /}, cluster: reviews}
        """;
    HttpResponse<String> dry = call("POST", "/v1/apply?dryRun=true", doc, t);
    assertThat(dry.statusCode()).isEqualTo(200);
    assertThat(call("GET", "/v1/resources/routes", null, t).body()).doesNotContain("\"r\"");
    HttpResponse<String> applied = call("POST", "/v1/apply", doc, t);
    assertThat(applied.statusCode()).isEqualTo(200);
    assertThat(applied.body()).contains("route/r created");
    assertThat(call("GET", "/v1/resources/routes/r", null, t).body()).contains("\"reviews\"");

    HttpResponse<String> bad =
        call("POST", "/v1/apply", doc.replace("cluster: reviews}", "cluster: ghost}"), t);
    assertThat(bad.statusCode()).isEqualTo(422);
    assertThat(bad.body()).contains("ghost").contains("\"route\": \"r\"");

    HttpResponse<String> inUse = call("DELETE", "/v1/resources/cluster/reviews", null, t);
    assertThat(inUse.statusCode()).isEqualTo(422);

    HttpResponse<String> reg =
        call(
            "POST",
            "/v1/registry/register",
            "{\"service\":\"reviews\",\"instanceId\":\"i1\",\"address\":\"127.0.0.1:9081\",\"ttlSeconds\":5}",
            t);
    assertThat(reg.statusCode()).isEqualTo(200);
    assertThat(server.registry().instances().get("reviews")).hasSize(1);
    String lease = reg.body().replaceAll("(?s).*\"leaseId\": \"([^\"]+)\".*", "$1");
    assertThat(
            call("POST", "/v1/registry/heartbeat", "{\"leaseId\":\"" + lease + "\"}", t)
                .statusCode())
        .isEqualTo(200);
    assertThat(
            call("POST", "/v1/registry/deregister", "{\"leaseId\":\"" + lease + "\"}", t)
                .statusCode())
        .isEqualTo(200);
    assertThat(server.registry().instances()).doesNotContainKey("reviews");
    assertThat(
            call("POST", "/v1/registry/heartbeat", "{\"leaseId\":\"" + lease + "\"}", t)
                .statusCode())
        .isEqualTo(404);
    HttpResponse<String> badReg =
        call(
            "POST",
            "/v1/registry/register",
            "{\"service\":\"reviews\",\"instanceId\":\"i1\",\"address\":\"nope\",\"ttlSeconds\":5}",
            t);
    assertThat(badReg.statusCode()).isEqualTo(400);
    assertThat(badReg.body()).contains("address");

    assertThat(call("DELETE", "/v1/resources/route/r", null, t).statusCode()).isEqualTo(200);
    assertThat(call("DELETE", "/v1/resources/cluster/reviews", null, t).statusCode())
        .isEqualTo(200);
  }
}
