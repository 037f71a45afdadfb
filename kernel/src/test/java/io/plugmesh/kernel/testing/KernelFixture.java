package io.plugmesh.kernel.testing;

import io.plugmesh.config.ConfigLoader;
import io.plugmesh.config.Limits;
import io.plugmesh.config.ProxySettings;
import io.plugmesh.filters.FilterFactory;
import io.plugmesh.kernel.runtime.Kernel;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** Starts a kernel on loopback from a YAML string, with an HTTP client aimed at a listener. */
public final class KernelFixture implements AutoCloseable {
  public final Kernel kernel;
  public final HttpClient client;

  private KernelFixture(Kernel kernel) {
    this.kernel = kernel;
    this.client =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
  }

  /** A kernel with default limits, no plugin jars, access log off. */
  public static KernelFixture start(String yaml, FilterFactory<?>... builtins) {
    return start(yaml, Limits.DEFAULTS, builtins);
  }

  /** A kernel with the given limits. */
  public static KernelFixture start(String yaml, Limits limits, FilterFactory<?>... builtins) {
    return start(yaml, limits, Path.of("target", "no-plugins"), builtins);
  }

  /**
   * A kernel loading plugin jars from {@code pluginsDir} (e.g. a temp folder holding the module's
   * built {@code target/*-plugin.jar}), plus builtins.
   */
  public static KernelFixture startWithPlugins(
      String yaml, Path pluginsDir, FilterFactory<?>... builtins) {
    return start(yaml, Limits.DEFAULTS, pluginsDir, builtins);
  }

  /** A kernel with the given limits and plugins folder. */
  public static KernelFixture start(
      String yaml, Limits limits, Path pluginsDir, FilterFactory<?>... builtins) {
    ProxySettings defaults = settings(limits);
    return start(
        new ProxySettings(
            defaults.admin(),
            pluginsDir,
            null,
            defaults.metricsPrefix(),
            defaults.accessLog(),
            limits),
        yaml,
        builtins);
  }

  /**
   * A kernel with the given settings, serving {@code yaml}, or nothing yet when it is null (e.g.
   * for a config file watcher to load).
   */
  public static KernelFixture start(
      ProxySettings settings, String yaml, FilterFactory<?>... builtins) {
    return new KernelFixture(
        Kernel.start(
            settings,
            yaml == null ? null : ConfigLoader.parseYaml(yaml, "test"),
            List.of(builtins)));
  }

  /** Test settings: admin on an ephemeral loopback port, no plugin jars, access log off. */
  public static ProxySettings settings(Limits limits) {
    return new ProxySettings(
        new ProxySettings.Admin("127.0.0.1", 0),
        Path.of("target", "no-plugins"),
        null,
        "mesh",
        new ProxySettings.AccessLog(ProxySettings.AccessLog.Format.OFF, null),
        limits);
  }

  /** {@code settings} with a JSON access log written to {@code file}. */
  public static ProxySettings withJsonAccessLog(ProxySettings settings, Path file) {
    return new ProxySettings(
        settings.admin(),
        settings.pluginsDir(),
        settings.configFile(),
        settings.metricsPrefix(),
        new ProxySettings.AccessLog(ProxySettings.AccessLog.Format.JSON, file),
        settings.limits());
  }

  public int port(String listener) {
    return kernel.port(listener);
  }

  public URI uri(String listener, String path) {
    return URI.create("http://127.0.0.1:" + port(listener) + path);
  }

  public HttpResponse<String> get(String listener, String path, String... headers)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(uri(listener, path)).timeout(Duration.ofSeconds(10));
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  public String admin(String path) throws Exception {
    return client
        .send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + kernel.adminPort() + path))
                .timeout(Duration.ofSeconds(10))
                .build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }

  @Override
  public void close() {
    kernel.close();
  }
}
