package io.plugmesh.plugins.ratelimit;

import io.plugmesh.filters.ConfigNode;
import io.plugmesh.filters.ContextKeys;
import io.plugmesh.filters.Filter;
import io.plugmesh.filters.FilterFactory;
import io.plugmesh.filters.FilterServices;
import io.plugmesh.filters.HeadersFilter;
import io.plugmesh.filters.Phase;
import io.plugmesh.filters.RequestDecision;
import io.plugmesh.filters.advanced.Principal;
import io.plugmesh.kernel.testing.KernelFixture;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/** Helpers for the loopback tests: test-only filters, the built plugin jar, metrics. */
final class TestSupport {
  private TestSupport() {}

  /** Sets the principal from {@code x-test-client} (as an authentication plugin would). */
  static final class TestPrincipalFactory implements FilterFactory<Object> {
    @Override
    public String name() {
      return "test-principal";
    }

    @Override
    public Phase phase() {
      return Phase.AUTHN;
    }

    @Override
    public String configSchema() {
      return "{\"type\": \"object\"}";
    }

    @Override
    public Object parseConfig(ConfigNode config) {
      return "";
    }

    @Override
    public Filter create(Object config, FilterServices services) {
      return (HeadersFilter)
          request -> {
            String client = request.headers().get("x-test-client");
            if (client != null) {
              request
                  .context()
                  .put(
                      ContextKeys.PRINCIPAL,
                      new Principal("user-" + client, "test", Map.of("client_id", client)));
            }
            return RequestDecision.proceed();
          };
    }
  }

  /** Records the threads the rest of the chain runs on after the ratelimit filter. */
  static final class ThreadRecorderFactory implements FilterFactory<Object> {
    static final Set<String> THREADS = ConcurrentHashMap.newKeySet();

    @Override
    public String name() {
      return "thread-recorder";
    }

    @Override
    public Phase phase() {
      return Phase.OBSERVE;
    }

    @Override
    public String configSchema() {
      return "{\"type\": \"object\"}";
    }

    @Override
    public Object parseConfig(ConfigNode config) {
      return "";
    }

    @Override
    public Filter create(Object config, FilterServices services) {
      return (HeadersFilter)
          request -> {
            THREADS.add(Thread.currentThread().getName());
            return RequestDecision.proceed();
          };
    }
  }

  /** Copies the built plugin jar into a fresh folder for {@code startWithPlugins}. */
  static Path pluginFolder(Path temp) throws Exception {
    Path jar = pluginJar();
    Path folder = Files.createDirectories(temp.resolve("plugins"));
    Files.copy(jar, folder.resolve(jar.getFileName()));
    return folder;
  }

  /** The plugin jar the package phase built: {@code target/ratelimit-<version>-plugin.jar}. */
  static Path pluginJar() throws Exception {
    try (Stream<Path> files = Files.list(Path.of("target"))) {
      return files
          .filter(p -> p.getFileName().toString().matches("ratelimit-.*-plugin\\.jar"))
          .findFirst()
          .orElseThrow(
              () ->
                  new IllegalStateException(
                      "target/ratelimit-*-plugin.jar is missing (run the package phase)"));
    }
  }

  /**
   * Writes {@code target} as a copy of the built plugin jar that declares {@code version} as its
   * {@code Plugin-Version}: the same plugin, released again.
   */
  static Path pluginJarWithVersion(String version, Path target) throws Exception {
    // Written beside the target under a name the proxy ignores, then moved into place in one step
    // so the proxy never reads a half-written jar.
    Path copy = Files.createTempFile(target.getParent(), ".ratelimit-", ".part");
    try (ZipInputStream in = new ZipInputStream(Files.newInputStream(pluginJar()));
        ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(copy))) {
      for (ZipEntry entry; (entry = in.getNextEntry()) != null; ) {
        out.putNextEntry(new ZipEntry(entry.getName()));
        if (entry.getName().equals(JarFile.MANIFEST_NAME)) {
          Manifest manifest = new Manifest(in);
          manifest.getMainAttributes().putValue("Plugin-Version", version);
          manifest.write(out);
        } else {
          in.transferTo(out);
        }
        out.closeEntry();
      }
    }
    return Files.move(
        copy, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /** Sends {@code n} requests at once (HTTP/1.1, one connection each) and waits for all. */
  static List<HttpResponse<String>> concurrently(List<KernelFixture> proxies, String path, int n)
      throws Exception {
    List<CompletableFuture<HttpResponse<String>>> pending = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      KernelFixture proxy = proxies.get(i % proxies.size());
      URI uri = proxy.uri("main", path);
      pending.add(
          proxy.client.sendAsync(
              HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(20)).build(),
              HttpResponse.BodyHandlers.ofString()));
    }
    List<HttpResponse<String>> out = new ArrayList<>();
    for (CompletableFuture<HttpResponse<String>> f : pending) {
      out.add(f.get());
    }
    return out;
  }

  static long countStatus(List<HttpResponse<String>> responses, int status) {
    return responses.stream().filter(r -> r.statusCode() == status).count();
  }

  private static final Pattern SAMPLE = Pattern.compile("^([a-z_]+)\\{([^}]*)\\} ([0-9.eE+-]+)$");

  /** Sums a Prometheus metric over the samples whose labels include all the given pairs. */
  static double metric(KernelFixture proxy, String name, String... labels) throws Exception {
    double sum = 0;
    for (String line : proxy.admin("/metrics").split("\n")) {
      Matcher m = SAMPLE.matcher(line.trim());
      if (!m.matches() || !m.group(1).equals(name)) {
        continue;
      }
      boolean all = true;
      for (int i = 0; i < labels.length; i += 2) {
        if (!m.group(2).contains(labels[i] + "=\"" + labels[i + 1] + "\"")) {
          all = false;
          break;
        }
      }
      if (all) {
        sum += Double.parseDouble(m.group(3));
      }
    }
    return sum;
  }
}
