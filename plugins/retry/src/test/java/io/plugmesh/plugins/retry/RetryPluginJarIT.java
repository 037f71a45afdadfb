package io.plugmesh.plugins.retry;

import static io.plugmesh.kernel.testing.TestUpstream.FAIL_FIRST;
import static org.assertj.core.api.Assertions.assertThat;

import io.plugmesh.kernel.testing.KernelFixture;
import io.plugmesh.kernel.testing.PrometheusText;
import io.plugmesh.kernel.testing.TestUpstream;
import java.net.http.HttpResponse;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The retry plugin loaded from its real plugin jar (PF4J), not from the test classpath. */
class RetryPluginJarIT {

  @Test
  void theJarLoadsAndRetries(@TempDir Path plugins) throws Exception {
    try (DirectoryStream<Path> jars =
        Files.newDirectoryStream(Path.of("target"), "retry-*-plugin.jar")) {
      for (Path jar : jars) {
        Files.copy(jar, plugins.resolve(jar.getFileName()));
      }
    }
    assertThat(Files.list(plugins)).hasSize(1);
    try (TestUpstream up = TestUpstream.http1("up");
        KernelFixture proxy =
            KernelFixture.startWithPlugins(
                """
                listeners: [{name: main, address: 127.0.0.1:0}]
                clusters: [{name: up, endpoints: [{address: %s}]}]
                routes:
                  - name: r
                    match: {pathPrefix: /}
                    cluster: up
                    plugins: [{name: retry, config: {attempts: 3, retryOn: [5xx]}}]
                """
                    .formatted(up.address()),
                plugins)) {
      assertThat(proxy.admin("/plugins")).contains("retry").contains("plugin.jar");
      String id = UUID.randomUUID().toString();
      HttpResponse<String> r = proxy.get("main", "/echo", "x-request-id", id, FAIL_FIRST, "2");
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(up.requestsFor(id)).isEqualTo(3);
      assertThat(
              PrometheusText.sum(
                  proxy.admin("/metrics"), "mesh_plugin_retry_successes_total", "route", "r"))
          .isEqualTo(1);
    }
  }
}
