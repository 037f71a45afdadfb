package com.example.hello;

import static org.assertj.core.api.Assertions.assertThat;

import io.plugmesh.kernel.testing.KernelFixture;
import io.plugmesh.kernel.testing.TestUpstream;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The built plugin jar, loaded by a real proxy from a plugins folder, on a real route. */
class HelloKernelIT {
  @TempDir Path plugins;

  @Test
  void theBuiltJarRunsOnARouteInARealProxy() throws Exception {
    Path jar = Path.of(System.getProperty("hello.pluginJar"));
    Files.copy(jar, plugins.resolve(jar.getFileName()));
    try (TestUpstream upstream = TestUpstream.http1("app");
        KernelFixture proxy =
            KernelFixture.startWithPlugins(
                """
                listeners:
                  - {name: main, address: 127.0.0.1:0}
                clusters:
                  - {name: app, endpoints: [{address: %s}]}
                routes:
                  - name: greeted
                    match: {pathPrefix: /}
                    cluster: app
                    plugins:
                      - {name: hello, config: {greeting: hello from a jar, answerPath: /hello}}
                """
                    .formatted(upstream.address()),
                plugins)) {
      HttpResponse<String> proxied = proxy.get("main", "/echo");
      assertThat(proxied.statusCode()).isEqualTo(200);
      assertThat(proxied.headers().firstValue("x-hello")).contains("hello from a jar");
      assertThat(upstream.last().header("x-hello")).isEqualTo("hello from a jar");

      HttpResponse<String> answered = proxy.get("main", "/hello");
      assertThat(answered.body()).isEqualTo("hello from a jar\n");
      assertThat(proxy.admin("/plugins"))
          .contains("\"id\":\"hello\"")
          .contains("\"version\":\"1.0.0\"");
    }
  }
}
