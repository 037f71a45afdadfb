package io.plugmesh.kernel.plugin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.plugmesh.config.ConfigLoader;
import io.plugmesh.kernel.runtime.PluginDirectoryWatcher;
import io.plugmesh.kernel.testing.KernelFixture;
import io.plugmesh.kernel.testing.TestUpstream;
import io.plugmesh.pluginruntime.PluginJars;
import io.plugmesh.pluginruntime.fixture.VersionedFactory;
import java.lang.ref.WeakReference;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Plugin hot reload through a real kernel: a directory watcher and the admin trigger. */
class PluginReloadIT {
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final Duration WAIT = Duration.ofSeconds(20);

  @TempDir Path plugins;

  private TestUpstream upstream;
  private KernelFixture proxy;
  private PluginDirectoryWatcher watcher;

  @BeforeEach
  void startUpstream() throws Exception {
    upstream = TestUpstream.http1("up");
  }

  @AfterEach
  void stop() {
    if (watcher != null) {
      watcher.close();
    }
    if (proxy != null) {
      proxy.close();
    }
    upstream.close();
  }

  private Path versionedJar(String file, String version, String requires, String text)
      throws Exception {
    return PluginJars.write(
        plugins.resolve(file),
        PluginJars.properties("versioned", version, requires),
        List.of(VersionedFactory.class),
        List.of(VersionedFactory.class),
        Map.of(VersionedFactory.RESOURCE, text));
  }

  private String config(boolean withPlugin) {
    return """
        listeners:
          - {name: main, address: 127.0.0.1:0}
        clusters:
          - {name: up, endpoints: [{address: %s}]}
        routes:
          - name: all
            match: {pathPrefix: /}
            cluster: up
            timeout: 10s
            plugins: %s
        """
        .formatted(upstream.address(), withPlugin ? "[{name: versioned}]" : "[]");
  }

  private String version(HttpResponse<String> response) {
    assertThat(response.statusCode()).isEqualTo(200);
    return response.headers().firstValue("x-plugin-version").orElse("none");
  }

  private HttpResponse<String> post(String path, String... headers) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.kernel.adminPort() + path))
            .timeout(Duration.ofSeconds(10))
            .POST(HttpRequest.BodyPublishers.noBody());
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return proxy.client.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private JsonNode pluginsJson() throws Exception {
    return JSON.readTree(proxy.admin("/plugins"));
  }

  /** The class loader of the loaded 'versioned' plugin, without keeping the factory. */
  private WeakReference<ClassLoader> loaderOfVersioned() {
    return new WeakReference<>(
        proxy.kernel.plugins().factory("versioned").orElseThrow().getClass().getClassLoader());
  }

  @Test
  void aNewerJarDroppedInMovesRoutesAfterInFlightRequestsAndReleasesTheOldClasses()
      throws Exception {
    versionedJar("versioned-1.0.0.jar", "1.0.0", ">=0.2.0 & <0.3.0", "one");
    proxy = KernelFixture.startWithPlugins(config(true), plugins);
    watcher = PluginDirectoryWatcher.start(proxy.kernel, 100);
    assertThat(version(proxy.get("main", "/echo"))).isEqualTo("one");
    WeakReference<ClassLoader> oldLoader = loaderOfVersioned();
    long versionBefore = proxy.kernel.snapshot().version();

    // A request that is still upstream while the new version arrives finishes on the old chain.
    CompletableFuture<HttpResponse<String>> inFlight =
        proxy.client.sendAsync(
            HttpRequest.newBuilder(proxy.uri("main", "/delay/1500"))
                .timeout(Duration.ofSeconds(10))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    await()
        .atMost(WAIT)
        .until(() -> upstream.seen().stream().anyMatch(s -> s.uri().contains("/delay/")));

    versionedJar("versioned-1.1.0.jar", "1.1.0", ">=0.2.0 & <0.3.0", "two");
    await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(50))
        .until(() -> version(proxy.get("main", "/echo")).equals("two"));
    assertThat(proxy.kernel.snapshot().version()).isGreaterThan(versionBefore);
    assertThat(version(inFlight.get(10, TimeUnit.SECONDS))).isEqualTo("one");

    JsonNode started = null;
    JsonNode superseded = null;
    for (JsonNode p : pluginsJson()) {
      if (p.get("state").asString().equals("STARTED")) {
        started = p;
      }
      if (p.get("state").asString().equals("FAILED")) {
        superseded = p;
      }
    }
    assertThat(started.get("version").asString()).isEqualTo("1.1.0");
    assertThat(superseded.get("path").asString()).endsWith("versioned-1.0.0.jar");
    assertThat(superseded.get("error").asString())
        .contains("superseded by version 1.1.0")
        .contains("remove the older one");

    // No chain of a live snapshot uses 1.0.0 any more: it is unloaded and its classes collected.
    await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(100))
        .until(
            () -> {
              System.gc();
              proxy.kernel.plugins().releaseUnused();
              return oldLoader.get() == null;
            });
    assertThat(proxy.kernel.plugins().retired()).isEmpty();
    assertThat(version(proxy.get("main", "/echo"))).isEqualTo("two");

    // Removing the newer jar brings the superseded one back.
    Files.delete(plugins.resolve("versioned-1.1.0.jar"));
    await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(50))
        .until(() -> version(proxy.get("main", "/echo")).equals("one"));
    assertThat(proxy.kernel.plugins().pluginFor("versioned").orElseThrow().version())
        .isEqualTo("1.0.0");
  }

  @Test
  void theAdminTriggerLoadsJarsAndRefusesAReloadTheConfigCannotBuildWith() throws Exception {
    proxy = KernelFixture.startWithPlugins(config(false), plugins);
    assertThat(post("/plugins/reload").statusCode()).isEqualTo(200);

    Path jar = versionedJar("versioned.jar", "1.0.0", "*", "one");
    HttpResponse<String> loaded = post("/plugins/reload");
    assertThat(loaded.statusCode()).isEqualTo(200);
    JsonNode body = JSON.readTree(loaded.body());
    assertThat(body.get("changed").asBoolean()).isTrue();
    assertThat(body.get("loaded").get(0).get("id").asString()).isEqualTo("versioned");
    assertThat(body.get("configVersion").asLong()).isEqualTo(2);

    proxy.kernel.apply(ConfigLoader.parseYaml(config(true), "test"));
    assertThat(version(proxy.get("main", "/echo"))).isEqualTo("one");

    // Removing a jar a route still names is refused; the plugin keeps serving.
    Files.delete(jar);
    HttpResponse<String> refused = post("/plugins/reload");
    assertThat(refused.statusCode()).isEqualTo(409);
    assertThat(JSON.readTree(refused.body()).get("error").asString())
        .contains("uses plugin 'versioned', which would no longer be available");
    assertThat(version(proxy.get("main", "/echo"))).isEqualTo("one");
    assertThat(pluginsJson().findValuesAsString("state")).containsExactly("STARTED");

    // A plugin built for another plugin API is refused at load with the reason.
    versionedJar("versioned-9.jar", "9.0.0", ">=9.0.0", "nine");
    HttpResponse<String> incompatible = post("/plugins/reload");
    assertThat(incompatible.statusCode()).isEqualTo(409);
    assertThat(JSON.readTree(incompatible.body()).get("error").asString())
        .contains("requires plugin API '>=9.0.0'");
    assertThat(proxy.kernel.plugins().pluginFor("versioned").orElseThrow().version())
        .isEqualTo("1.0.0");
    proxy.kernel.apply(ConfigLoader.parseYaml(config(false), "test"));
    HttpResponse<String> accepted = post("/plugins/reload");
    assertThat(accepted.statusCode()).isEqualTo(200);
    JsonNode failed = JSON.readTree(accepted.body()).get("failed").get(0);
    assertThat(failed.get("error").asString())
        .isEqualTo(
            "requires plugin API '>=9.0.0' (expected: a range that includes this kernel's plugin"
                + " API 0.2.0)");

    HttpResponse<String> get =
        proxy.client.send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + proxy.kernel.adminPort() + "/plugins/reload"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(get.statusCode()).isEqualTo(405);
    assertThat(get.headers().firstValue("allow")).contains("POST");
    assertThat(post("/plugins/reload", "Origin", "http://evil.example").statusCode())
        .isEqualTo(403);
  }
}
