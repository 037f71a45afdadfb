package io.plugmesh.control.server.testing;

import io.plugmesh.config.Limits;
import io.plugmesh.config.ProxySettings;
import io.plugmesh.filters.FilterFactory;
import io.plugmesh.kernel.control.ControlClient;
import io.plugmesh.kernel.control.ControlSettings;
import io.plugmesh.kernel.runtime.Kernel;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** An in-process proxy (a real kernel) configured by the control service. */
public final class TestProxy implements AutoCloseable {
  public final Kernel kernel;
  public final ControlClient client;
  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();

  private TestProxy(Kernel kernel, ControlClient client) {
    this.kernel = kernel;
    this.client = client;
  }

  /** Starts a kernel with the given filters and a control client to {@code servers}. */
  public static TestProxy start(
      String node,
      String service,
      List<String> servers,
      Path stateDir,
      List<FilterFactory<?>> builtins) {
    return start(
        node, service, servers, stateDir, builtins, Duration.ofMillis(50), Duration.ofMillis(500));
  }

  /**
   * Like {@link #start(String, String, List, Path, List)} with the given reconnect backoff (null
   * for the default).
   */
  public static TestProxy start(
      String node,
      String service,
      List<String> servers,
      Path stateDir,
      List<FilterFactory<?>> builtins,
      Duration initialBackoff,
      Duration maxBackoff) {
    ProxySettings settings =
        new ProxySettings(
            new ProxySettings.Admin("127.0.0.1", 0),
            Path.of("target", "no-plugins"),
            null,
            "mesh",
            new ProxySettings.AccessLog(ProxySettings.AccessLog.Format.OFF, null),
            Limits.DEFAULTS);
    Kernel kernel = Kernel.start(settings, null, builtins);
    ControlSettings control =
        new ControlSettings(
            servers, node, service, Map.of(), null, stateDir, initialBackoff, maxBackoff);
    return new TestProxy(kernel, ControlClient.start(kernel, control));
  }

  /** The applied control version, or empty. */
  public String version() {
    return client.appliedVersion();
  }

  /** GET through a listener. */
  public HttpResponse<String> get(String listener, String path) throws Exception {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + kernel.port(listener) + path))
            .timeout(Duration.ofSeconds(10))
            .build();
    return http.send(request, HttpResponse.BodyHandlers.ofString());
  }

  /** GET on the admin port. */
  public HttpResponse<String> admin(String path) throws Exception {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + kernel.adminPort() + path))
            .timeout(Duration.ofSeconds(10))
            .build();
    return http.send(request, HttpResponse.BodyHandlers.ofString());
  }

  @Override
  public void close() {
    client.close();
    kernel.close();
  }
}
