package io.plugmesh.kernel.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.plugmesh.config.Limits;
import io.plugmesh.config.ProxySettings;
import io.plugmesh.filters.ConfigNode;
import io.plugmesh.filters.Filter;
import io.plugmesh.filters.FilterFactory;
import io.plugmesh.filters.FilterServices;
import io.plugmesh.filters.Phase;
import io.plugmesh.kernel.testing.KernelFixture;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The admin token guards /config, /plugins and POSTs; /config never shows secrets. */
class AdminTokenIT {
  static final String TOKEN = "admin-token-for-tests-0123";
  static final String SECRET = "s3cr3t-hmac-value";

  /** A pass-through plugin whose config has secret and ordinary fields. */
  static final class SecretFactory implements FilterFactory<ConfigNode> {
    @Override
    public String name() {
      return "secretive";
    }

    @Override
    public Phase phase() {
      return Phase.OBSERVE;
    }

    @Override
    public String configSchema() {
      return """
          {"type": "object", "additionalProperties": true}
          """;
    }

    @Override
    public ConfigNode parseConfig(ConfigNode config) {
      return config;
    }

    @Override
    public Filter create(ConfigNode config, FilterServices services) {
      return (request, chain) -> chain.proceed(request);
    }
  }

  final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();
  KernelFixture proxy;

  @AfterEach
  void stop() {
    if (proxy != null) {
      proxy.close();
    }
  }

  void start(String token) {
    ProxySettings d = KernelFixture.settings(Limits.DEFAULTS);
    proxy =
        KernelFixture.start(
            new ProxySettings(
                new ProxySettings.Admin("127.0.0.1", 0, token),
                d.pluginsDir(),
                null,
                d.metricsPrefix(),
                d.accessLog(),
                d.limits()),
            """
            listeners:
              - {name: in, address: 127.0.0.1:0}
            clusters:
              - {name: app, endpoints: [{address: 127.0.0.1:9}]}
            routes:
              - name: r
                match: {pathPrefix: /}
                cluster: app
                plugins:
                  - name: secretive
                    config:
                      header: x-visible
                      hmacKey: %s
                      client_secret: %s
                      password: %s
                      upstream: {authToken: %s, keyFile: /etc/keys/k.pem}
            """
                .formatted(SECRET, SECRET, SECRET, SECRET),
            new SecretFactory());
  }

  HttpResponse<String> send(String method, String path, String authorization) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.kernel.adminPort() + path))
            .timeout(Duration.ofSeconds(10))
            .method(method, HttpRequest.BodyPublishers.noBody());
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void configPluginsAndPostsNeedTheTokenProbesAndMetricsDoNot() throws Exception {
    start(TOKEN);
    for (String path : new String[] {"/config", "/plugins"}) {
      for (String auth : new String[] {null, "Bearer wrong-token", TOKEN, "Basic " + TOKEN}) {
        HttpResponse<String> r = send("GET", path, auth);
        assertThat(r.statusCode()).as(path + " with " + auth).isEqualTo(401);
        assertThat(r.headers().firstValue("www-authenticate")).hasValue("Bearer");
        assertThat(r.body()).doesNotContain(SECRET);
      }
      assertThat(send("GET", path, "Bearer " + TOKEN).statusCode()).isEqualTo(200);
    }
    assertThat(send("POST", "/plugins/reload", null).statusCode()).isEqualTo(401);
    assertThat(send("POST", "/plugins/reload", "Bearer " + TOKEN).statusCode()).isNotEqualTo(401);
    for (String path : new String[] {"/live", "/ready", "/metrics"}) {
      assertThat(send("GET", path, null).statusCode()).as(path).isEqualTo(200);
    }
  }

  @Test
  void withoutATokenEverythingStaysOpen() throws Exception {
    start(null);
    assertThat(send("GET", "/config", null).statusCode()).isEqualTo(200);
    assertThat(send("GET", "/plugins", null).statusCode()).isEqualTo(200);
  }

  @Test
  void secretsAreRedactedInTheConfigDump() throws Exception {
    start(TOKEN);
    HttpResponse<String> r = send("GET", "/config", "Bearer " + TOKEN);

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).doesNotContain(SECRET);
    assertThat(r.body())
        .contains("x-visible")
        .contains("\"hmacKey\":\"<redacted>\"")
        .contains("\"client_secret\":\"<redacted>\"")
        .contains("\"password\":\"<redacted>\"")
        .contains("\"authToken\":\"<redacted>\"")
        .contains("\"keyFile\":\"/etc/keys/k.pem\"");
    assertThat(new ProxySettings.Admin("127.0.0.1", 0, TOKEN).toString()).doesNotContain(TOKEN);
  }
}
