package io.plugmesh.pluginruntime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.plugmesh.config.PluginEntry;
import io.plugmesh.config.RouteConfig;
import io.plugmesh.filters.Filter;
import io.plugmesh.filters.FilterFactory;
import io.plugmesh.filters.HeadersFilter;
import io.plugmesh.filters.Phase;
import io.plugmesh.filters.ProxyResponse;
import io.plugmesh.filters.advanced.FilterMode;
import io.plugmesh.pluginruntime.fixture.BrokenFactory;
import io.plugmesh.pluginruntime.fixture.HelloFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pf4j.PluginClassLoader;

class PluginHostTest {
  private static final String API = "0.1.0";

  @TempDir Path plugins;

  private final KernelServices services = KernelServices.defaults(new SimpleMeterRegistry());
  private PluginHost host;

  @AfterEach
  void tearDown() {
    if (host != null) {
      host.close();
    }
    services.close();
  }

  private Path helloJar(String file, String id, String requires) throws Exception {
    return PluginJars.write(
        plugins.resolve(file),
        PluginJars.properties(id, "1.2.3", requires),
        List.of(HelloFactory.class),
        List.of(HelloFactory.class));
  }

  private static RouteConfig route(String name, String plugin, Object config) {
    return new RouteConfig(
        name,
        null,
        List.of(),
        Duration.ofSeconds(1),
        List.of(new PluginEntry(plugin, FilterMode.ENFORCE, config)));
  }

  @Test
  void loadsARealPluginJarAndRunsItsFilterFromThePluginClassLoader() throws Exception {
    // The jar also bundles filter API classes by mistake: the kernel's must win.
    PluginJars.write(
        plugins.resolve("hello-1.2.3.jar"),
        PluginJars.properties("hello", "1.2.3", ">=0.1.0 & <1.0.0"),
        List.of(HelloFactory.class),
        List.of(HelloFactory.class, FilterFactory.class, Filter.class, HeadersFilter.class));
    host = PluginHost.load(plugins, API, List.of());

    FilterFactory<?> factory = host.factory("hello").orElseThrow();
    assertThat(factory.getClass().getClassLoader())
        .isInstanceOf(PluginClassLoader.class)
        .isNotSameAs(HelloFactory.class.getClassLoader());
    assertThat(factory.getClass()).isNotSameAs(HelloFactory.class);
    assertThat(factory).isInstanceOf(FilterFactory.class);
    assertThat(factory.phase()).isSameAs(Phase.CUSTOM);

    PluginInfo info = host.pluginFor("hello").orElseThrow();
    assertThat(info.state()).isEqualTo(PluginInfo.State.STARTED);
    assertThat(info.id()).isEqualTo("hello");
    assertThat(info.version()).isEqualTo("1.2.3");
    assertThat(info.requires()).isEqualTo(">=0.1.0 & <1.0.0");
    assertThat(info.path()).endsWith("hello-1.2.3.jar");
    assertThat(info.filters()).containsExactly("hello");
    assertThat(info.error()).isEmpty();

    ChainBuilder builder = new ChainBuilder(host, services);
    TestRequest request = TestRequest.get("/");
    AtomicInteger upstream = new AtomicInteger();
    ProxyResponse passed =
        TestRequest.run(builder.build(route("r", "hello", Map.of()), 1), request, upstream);
    assertThat(passed.status()).isEqualTo(200);
    assertThat(upstream).hasValue(1);
    assertThat(request.headers().get("x-hello-loader"))
        .isEqualTo(factory.getClass().getClassLoader().getClass().getName());

    ProxyResponse answered =
        TestRequest.run(
            builder.build(route("r", "hello", Map.of("greeting", "hi from a jar")), 2),
            TestRequest.get("/"),
            upstream);
    assertThat(answered.localBodyText()).isEqualTo("hi from a jar");
    assertThat(upstream).hasValue(1);

    // The plugin's schema is enforced too.
    assertThatThrownBy(() -> builder.build(route("r", "hello", Map.of("greeting", "")), 3))
        .isInstanceOf(PluginConfigException.class)
        .hasMessageStartingWith("route 'r', plugin 'hello' (#1): config.greeting: ");
  }

  @Test
  void incompatibleRequiresFailsThePluginAndItsRoutesAnswer503() throws Exception {
    helloJar("hello.jar", "hello", ">=9.0.0");
    host = PluginHost.load(plugins, API, List.of(TestFactory.passing("builtin", Phase.CUSTOM)));

    assertThat(host.factory("hello")).isEmpty();
    PluginInfo failed =
        host.plugins().stream().filter(p -> p.id().equals("hello")).findFirst().orElseThrow();
    assertThat(failed.state()).isEqualTo(PluginInfo.State.FAILED);
    assertThat(failed.error())
        .isEqualTo(
            "requires plugin API '>=9.0.0' (expected: a range that includes this kernel's plugin"
                + " API 0.1.0)");
    assertThat(host.failureReason("hello")).contains(failed.error());

    BuiltChain chain = new ChainBuilder(host, services).build(route("r", "hello", Map.of()), 1);
    AtomicInteger upstream = new AtomicInteger();
    ProxyResponse response = TestRequest.run(chain, TestRequest.get("/"), upstream);
    assertThat(response.status()).isEqualTo(503);
    assertThat(response.localBodyText())
        .isEqualTo("plugin 'hello' is not available: " + failed.error() + "\n");
    assertThat(upstream).hasValue(0);
  }

  @Test
  void corruptJarFailsAndTheOthersStillLoad() throws Exception {
    Files.write(plugins.resolve("corrupt.jar"), new byte[] {'P', 'K', 3, 4, 1, 2, 3, 42, 42});
    PluginJars.write(plugins.resolve("nodescriptor.jar"), null, List.of(), List.of());
    helloJar("hello.jar", "hello", "*");
    host = PluginHost.load(plugins, API, List.of());

    assertThat(host.factory("hello")).isPresent();
    assertThat(host.plugins())
        .filteredOn(p -> p.id().equals("corrupt"))
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.state()).isEqualTo(PluginInfo.State.FAILED);
              assertThat(p.error()).startsWith("not a readable jar");
              assertThat(p.path()).endsWith("corrupt.jar");
            });
    assertThat(host.plugins())
        .filteredOn(p -> p.id().equals("nodescriptor"))
        .singleElement()
        .satisfies(
            p ->
                assertThat(p.error())
                    .isEqualTo(
                        "no plugin descriptor (expected: plugin.properties or a MANIFEST"
                            + " Plugin-Id)"));
  }

  @Test
  void factoryConstructorThatThrowsFailsThePlugin() throws Exception {
    PluginJars.write(
        plugins.resolve("broken.jar"),
        PluginJars.properties("broken", "1.0.0", "*"),
        List.of(BrokenFactory.class),
        List.of(BrokenFactory.class));
    helloJar("hello.jar", "hello", "*");
    host = PluginHost.load(plugins, API, List.of());

    PluginInfo broken =
        host.plugins().stream().filter(p -> p.id().equals("broken")).findFirst().orElseThrow();
    assertThat(broken.state()).isEqualTo(PluginInfo.State.FAILED);
    assertThat(broken.error())
        .contains("creating filter factory " + BrokenFactory.class.getName() + " failed")
        .contains("broken on purpose");
    assertThat(host.failureReason("broken")).isPresent();
    assertThat(host.factory("hello")).isPresent();
  }

  @Test
  void duplicateFilterNameFailsTheLaterPlugin() throws Exception {
    helloJar("a-hello.jar", "a-hello", "*");
    helloJar("b-hello.jar", "b-hello", "*");
    host = PluginHost.load(plugins, API, List.of());

    assertThat(host.pluginFor("hello").orElseThrow().id()).isEqualTo("a-hello");
    PluginInfo second =
        host.plugins().stream().filter(p -> p.id().equals("b-hello")).findFirst().orElseThrow();
    assertThat(second.state()).isEqualTo(PluginInfo.State.FAILED);
    assertThat(second.error()).contains("filter name 'hello'").contains("already provided");
    assertThat(second.filters()).containsExactly("hello");
    // 'hello' itself is available, so no failure reason is reported for it.
    assertThat(host.failureReason("hello")).isEmpty();
  }

  @Test
  void aPluginCannotTakeABuiltInName() throws Exception {
    helloJar("hello.jar", "hello-plugin", "*");
    host = PluginHost.load(plugins, API, List.of(TestFactory.passing("hello", Phase.CUSTOM)));
    assertThat(host.pluginFor("hello").orElseThrow().state()).isEqualTo(PluginInfo.State.BUILTIN);
    assertThat(host.plugins())
        .filteredOn(p -> p.id().equals("hello-plugin"))
        .singleElement()
        .satisfies(p -> assertThat(p.state()).isEqualTo(PluginInfo.State.FAILED));
  }

  @Test
  void missingDirectoryMeansBuiltInsOnly() {
    host =
        PluginHost.load(
            plugins.resolve("absent"), API, List.of(TestFactory.passing("only", Phase.CUSTOM)));
    assertThat(host.filterNames()).containsExactly("only");
    assertThat(host.plugins())
        .singleElement()
        .satisfies(p -> assertThat(p.state()).isEqualTo(PluginInfo.State.BUILTIN));
    assertThat(host.failureReason("only")).isEmpty();
    assertThat(host.failureReason("other")).isEmpty();
  }

  @Test
  void invalidBuiltInsAreRejected() {
    assertThatThrownBy(
            () ->
                PluginHost.load(
                    plugins,
                    API,
                    List.of(
                        TestFactory.passing("twice", Phase.CUSTOM),
                        TestFactory.passing("twice", Phase.CUSTOM))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'twice' is registered twice");
    assertThatThrownBy(
            () ->
                PluginHost.load(
                    plugins, API, List.of(TestFactory.passing("Bad_Name", Phase.CUSTOM))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("filter name 'Bad_Name'");
    assertThatThrownBy(
            () ->
                PluginHost.load(
                    plugins,
                    API,
                    List.of(
                        TestFactory.passing("bad-schema", Phase.CUSTOM)
                            .withSchema("{\"type\": 12}"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not a valid JSON Schema");
  }

  @Test
  void sharedObjectsAreClosedWithTheHost() throws Exception {
    TestFactory factory = TestFactory.passing("cache", Phase.CUSTOM);
    host = PluginHost.load(plugins, API, List.of(factory));
    new ChainBuilder(host, services).build(route("r1", "cache", Map.of()), 1);
    var first = factory.lastServices;
    new ChainBuilder(host, services).build(route("r2", "cache", Map.of()), 1);
    var second = factory.lastServices;

    AtomicInteger closes = new AtomicInteger();
    AutoCloseable shared = first.shared("k", AutoCloseable.class, () -> closes::incrementAndGet);
    assertThat(second.shared("k", AutoCloseable.class, () -> () -> {})).isSameAs(shared);
    assertThatThrownBy(() -> second.shared("k", String.class, () -> "x"))
        .isInstanceOf(IllegalArgumentException.class);

    host.close();
    assertThat(closes).hasValue(1);
    assertThatThrownBy(() -> first.shared("k2", String.class, () -> "x"))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void reloadPublishesANewVersionThatRollbackTakesBackAndCommitRetiresTheOldOneOnceUnused()
      throws Exception {
    helloJar("hello-1.jar", "hello", "*");
    host = PluginHost.load(plugins, API, List.of());
    FilterFactory<?> first = host.factory("hello").orElseThrow();
    BuiltChain oldChain = new ChainBuilder(host, services).build(route("r", "hello", Map.of()), 1);

    PluginJars.write(
        plugins.resolve("hello-2.jar"),
        PluginJars.properties("hello", "2.0.0", "*"),
        List.of(HelloFactory.class),
        List.of(HelloFactory.class));
    PluginHost.Reload rolledBack = host.reload();
    assertThat(rolledBack.changed()).isTrue();
    assertThat(rolledBack.loaded()).extracting(PluginInfo::version).containsExactly("2.0.0");
    assertThat(rolledBack.removed()).extracting(PluginInfo::version).containsExactly("1.2.3");
    assertThat(host.factory("hello").orElseThrow()).isNotSameAs(first);
    rolledBack.rollback();
    assertThat(host.factory("hello").orElseThrow()).isSameAs(first);
    assertThat(host.retired()).isEmpty();

    PluginHost.Reload committed = host.reload();
    assertThat(committed.loaded()).extracting(PluginInfo::version).containsExactly("2.0.0");
    committed.commit();
    assertThat(host.pluginFor("hello").orElseThrow().version()).isEqualTo("2.0.0");
    assertThat(host.plugins())
        .filteredOn(p -> p.path().endsWith("hello-1.jar"))
        .singleElement()
        .satisfies(p -> assertThat(p.error()).contains("superseded by version 2.0.0"));
    // A chain built from 1.2.3 is still reachable: the old version stays loaded.
    assertThat(host.retired())
        .extracting(PluginInfo::state)
        .containsExactly(PluginInfo.State.RETIRED);
    assertThat(host.releaseUnused()).isEqualTo(1);
    assertThat(oldChain.plugins()).containsExactly("hello");

    // Nothing changed on disk: a reload is a no-op.
    PluginHost.Reload none = host.reload();
    assertThat(none.changed()).isFalse();
    none.commit();
  }

  @Test
  void aJarTouchedWithTheSameBytesIsNoChangeAndItsRollbackKeepsTheServedVersion() throws Exception {
    Path jar = helloJar("hello-1.jar", "hello", "*");
    host = PluginHost.load(plugins, API, List.of());
    FilterFactory<?> first = host.factory("hello").orElseThrow();

    // Touched (as cp of the same file does): newer time, same content.
    Files.setLastModifiedTime(
        jar, FileTime.fromMillis(Files.getLastModifiedTime(jar).toMillis() + 5_000));
    PluginHost.Reload touched = host.reload();
    assertThat(touched.changed()).isFalse();
    assertThat(touched.loaded()).isEmpty();
    // A rollback of it (another route's plugin went missing, say) must not retire what serves.
    touched.rollback();
    assertThat(host.factory("hello").orElseThrow()).isSameAs(first);
    assertThat(host.retired()).isEmpty();
    assertThat(host.releaseUnused()).isZero();
    assertThat(host.pluginFor("hello").orElseThrow().state()).isEqualTo(PluginInfo.State.STARTED);
  }
}
