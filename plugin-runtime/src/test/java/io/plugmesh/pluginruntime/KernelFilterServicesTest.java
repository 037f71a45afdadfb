package io.plugmesh.pluginruntime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.plugmesh.filters.FilterMetrics;
import io.plugmesh.filters.advanced.FilterMode;
import java.lang.ref.WeakReference;
import java.net.URL;
import java.net.URLClassLoader;
import java.security.AccessControlContext;
import java.security.AccessController;
import java.security.CodeSigner;
import java.security.CodeSource;
import java.security.PrivilegedAction;
import java.security.ProtectionDomain;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class KernelFilterServicesTest {
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final KernelServices kernel = KernelServices.defaults(registry, "mesh");
  private final SharedObjects shared = new SharedObjects("jwt", 2);
  private final KernelFilterServices services =
      new KernelFilterServices("reviews", "jwt", FilterMode.SHADOW, 5, kernel, shared);

  @AfterEach
  void tearDown() {
    shared.close();
    kernel.close();
  }

  @Test
  void namesRouteAndPluginAndLogger() {
    assertThat(services.routeName()).isEqualTo("reviews");
    assertThat(services.pluginName()).isEqualTo("jwt");
    assertThat(services.configVersion()).isEqualTo(5);
    assertThat(services.mode()).isEqualTo(FilterMode.SHADOW);
    assertThat(services.logger().getName()).isEqualTo("plugmesh.plugin.jwt");
    assertThat(services.clock()).isSameAs(kernel.clock());
  }

  @Test
  void countersAndTimersAreTaggedWithRouteAndPlugin() {
    FilterMetrics.Counter fetches = services.metrics().counter("jwks_fetches", "result", "ok");
    fetches.increment();
    fetches.increment(2);
    services.metrics().timer("jwks_fetch").recordNanos(TimeUnit.MILLISECONDS.toNanos(3));

    assertThat(
            registry
                .get("mesh.plugin.jwks_fetches")
                .tags("route", "reviews", "plugin", "jwt", "result", "ok")
                .counter()
                .count())
        .isEqualTo(3.0);
    assertThat(
            registry
                .get("mesh.plugin.jwks_fetch")
                .tags("route", "reviews", "plugin", "jwt")
                .timer()
                .totalTime(TimeUnit.MILLISECONDS))
        .isEqualTo(3.0);
    assertThatThrownBy(() -> fetches.increment(-1)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void badMetricNamesAndTagsAreRejected() {
    FilterMetrics metrics = services.metrics();
    assertThatThrownBy(() -> metrics.counter("hits", "odd"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("even number");
    assertThatThrownBy(() -> metrics.counter("Bad-Name"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("metric name 'Bad-Name'");
    assertThatThrownBy(() -> metrics.counter("hits_total"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("_total");
    assertThatThrownBy(() -> metrics.timer("decisions"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> metrics.counter("hits", "route", "x"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("tag key 'route'");
    assertThatThrownBy(() -> metrics.counter("hits", "Bad Key", "x"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> metrics.counter("hits", "k", null))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void schedulerCannotBeShutDownButRunsTasks() throws Exception {
    assertThatThrownBy(() -> services.scheduler().shutdown())
        .isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> services.scheduler().shutdownNow())
        .isInstanceOf(UnsupportedOperationException.class);
    CompletableFuture<String> ran = new CompletableFuture<>();
    services.scheduler().schedule(() -> ran.complete("timer"), 1, TimeUnit.MILLISECONDS);
    assertThat(ran.get(10, TimeUnit.SECONDS)).isEqualTo("timer");

    CompletableFuture<String> thread = new CompletableFuture<>();
    services.blockingExecutor().execute(() -> thread.complete(Thread.currentThread().getName()));
    assertThat(thread.get(10, TimeUnit.SECONDS)).startsWith("plugmesh-blocking-");
  }

  @Test
  @SuppressWarnings("removal") // a caller's access-control context, as plugin code on the stack has
  void poolThreadsStartedFromAPluginDoNotKeepItsClassLoader() throws Exception {
    WeakReference<ClassLoader> pluginLoader = startPoolThreadsFromAPlugin();

    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () -> {
              System.gc();
              return pluginLoader.get() == null;
            });
    assertThat(services.scheduler().schedule(() -> "alive", 0, TimeUnit.MILLISECONDS).get())
        .isEqualTo("alive");
  }

  /**
   * Runs the first scheduler and blocking tasks (which start the pools' threads) as a plugin would:
   * with its class loader as context class loader and its protection domain on the stack.
   */
  @SuppressWarnings("removal")
  private WeakReference<ClassLoader> startPoolThreadsFromAPlugin() throws Exception {
    ClassLoader loader = new URLClassLoader(new URL[0], null);
    ProtectionDomain plugin =
        new ProtectionDomain(new CodeSource(null, (CodeSigner[]) null), null, loader, null);
    Thread caller =
        new Thread(
            () ->
                AccessController.doPrivileged(
                    (PrivilegedAction<Void>)
                        () -> {
                          try {
                            services
                                .scheduler()
                                .schedule(() -> null, 0, TimeUnit.MILLISECONDS)
                                .get(10, TimeUnit.SECONDS);
                            CompletableFuture.runAsync(() -> {}, services.blockingExecutor())
                                .get(10, TimeUnit.SECONDS);
                          } catch (Exception e) {
                            throw new IllegalStateException(e);
                          }
                          return null;
                        },
                    new AccessControlContext(new ProtectionDomain[] {plugin})));
    caller.setContextClassLoader(loader);
    caller.start();
    caller.join(TimeUnit.SECONDS.toMillis(20));
    assertThat(caller.isAlive()).isFalse();
    return new WeakReference<>(loader);
  }

  @Test
  void sharedObjectsAreBoundedPerPlugin() {
    services.shared("a", String.class, () -> "A");
    services.shared("b", String.class, () -> "B");
    assertThat(services.shared("a", String.class, () -> "other")).isEqualTo("A");
    assertThatThrownBy(() -> services.shared("c", String.class, () -> "C"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("at most 2");
    assertThatThrownBy(() -> services.shared("d", String.class, () -> null))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void metricsPrefixIsValidated() {
    assertThatThrownBy(
            () ->
                new KernelServices(
                    registry,
                    "Bad-Prefix",
                    kernel.scheduler(),
                    kernel.blockingExecutor(),
                    kernel.clock()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("metricsPrefix: 'Bad-Prefix'");
  }
}
