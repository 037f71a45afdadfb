package io.plugmesh.control.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.plugmesh.control.api.v1.ApplyResponse;
import io.plugmesh.control.api.v1.ProxyStatus;
import io.plugmesh.control.server.registry.Instance;
import io.plugmesh.control.server.testing.ControlFixture;
import io.plugmesh.control.server.testing.EtcdProcess;
import io.plugmesh.control.server.testing.TestFilters;
import io.plugmesh.control.server.testing.TestProxy;
import io.plugmesh.kernel.testing.TestUpstream;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Two control replicas sharing one real etcd, two in-process proxies. */
class EtcdReplicasIT {
  EtcdProcess etcd;
  ControlServer one;
  ControlServer two;
  final List<TestProxy> proxies = new ArrayList<>();

  static String config(String tag) {
    return """
        listeners:
          - {name: in, address: "127.0.0.1:0"}
        clusters:
          - {name: reviews, endpoints: []}
        routes:
          - name: tagged
            match: {pathPrefix: /tag}
            cluster: reviews
            plugins:
              - {name: tag, config: {value: "%s"}}
          - name: reviews
            match: {pathPrefix: /}
            cluster: reviews
        """
        .formatted(tag);
  }

  @BeforeEach
  void start() throws Exception {
    etcd = EtcdProcess.start();
    one = ControlFixture.etcd(etcd.endpoint(), "one");
    two = ControlFixture.etcd(etcd.endpoint(), "two");
  }

  @AfterEach
  void stop() throws Exception {
    proxies.forEach(TestProxy::close);
    one.shutdownNow();
    two.shutdownNow();
    etcd.close();
  }

  TestProxy proxy(String node) {
    TestProxy p =
        TestProxy.start(
            node,
            "web",
            List.of(ControlFixture.address(one), ControlFixture.address(two)),
            null,
            TestFilters.all());
    proxies.add(p);
    return p;
  }

  void awaitConnected(int n) {
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                one.operations().status().getProxiesList().stream()
                        .filter(ProxyStatus::getConnected)
                        .count()
                    == n);
  }

  static boolean serves(TestProxy p, String path, String body) {
    try {
      HttpResponse<String> r = p.get("in", path);
      return r.statusCode() == 200 && r.body().equals(body);
    } catch (Exception e) {
      return false;
    }
  }

  @Test
  void replicaKilledUnderLoadLosesNoRequestsAndLaterChangesStillArrive() throws Exception {
    TestProxy a = proxy("a");
    TestProxy b = proxy("b");
    awaitConnected(2);
    ApplyResponse applied = one.operations().apply(config("one"), false);
    assertThat(applied.getProblemsList()).isEmpty();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> serves(a, "/tag", "tag=one") && serves(b, "/tag", "tag=one"));
    // both proxies started on replica one (first in their list); any replica reports them
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                two.operations().status().getProxiesList().stream()
                        .filter(s -> s.getConnected() && s.getReplica().equals("one"))
                        .count()
                    == 2);

    AtomicBoolean running = new AtomicBoolean(true);
    AtomicInteger ok = new AtomicInteger();
    ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    List<Thread> load = new ArrayList<>();
    for (TestProxy p : List.of(a, b)) {
      Thread t =
          new Thread(
              () -> {
                for (int i = 0; i < 100_000 && running.get(); i++) {
                  try {
                    HttpResponse<String> r = p.get("in", "/tag");
                    if (r.statusCode() == 200) {
                      ok.incrementAndGet();
                    } else {
                      failures.add(r.statusCode() + " " + r.body());
                    }
                  } catch (Exception e) {
                    failures.add(e.toString());
                  }
                }
              });
      t.start();
      load.add(t);
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> ok.get() > 50);
    one.shutdownNow();
    // the proxies fail over to replica two
    await()
        .atMost(Duration.ofSeconds(15))
        .until(
            () ->
                two.operations().status().getProxiesList().stream()
                        .filter(s -> s.getConnected() && s.getReplica().equals("two"))
                        .count()
                    == 2);
    int before = ok.get();
    await().atMost(Duration.ofSeconds(10)).until(() -> ok.get() > before + 50);
    running.set(false);
    for (Thread t : load) {
      t.join(10_000);
    }
    assertThat(failures).isEmpty();
    assertThat(ok.get()).isGreaterThan(100);

    // a later change through the surviving replica still arrives
    assertThat(two.operations().apply(config("two"), false).getProblemsList()).isEmpty();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> serves(a, "/tag", "tag=two") && serves(b, "/tag", "tag=two"));
    String version = two.operations().proxyConfig("a").orElseThrow().getVersion();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                two.operations().status().getProxiesList().stream()
                    .filter(ProxyStatus::getConnected)
                    .allMatch(s -> s.getAckedVersion().equals(version)));
  }

  @Test
  void registeringAndExpiringAnInstanceChangesRouting() throws Exception {
    TestProxy a = proxy("a");
    awaitConnected(1);
    assertThat(one.operations().apply(config("one"), false).getProblemsList()).isEmpty();
    await().atMost(Duration.ofSeconds(10)).until(() -> serves(a, "/tag", "tag=one"));
    // no endpoints yet: the route to the service answers 503
    assertThat(a.get("in", "/echo").statusCode()).isEqualTo(503);

    try (TestUpstream upstream = TestUpstream.http1("reviews-1")) {
      var registry = registryOf(two);
      String lease = registry.register(new Instance("reviews", "r1", upstream.address(), 1), 2);
      long registered = System.nanoTime();
      await()
          .atMost(Duration.ofSeconds(5))
          .pollInterval(Duration.ofMillis(20))
          .until(() -> a.get("in", "/echo").statusCode() == 200);
      long seenMillis = (System.nanoTime() - registered) / 1_000_000;
      System.out.println("registered instance routed after " + seenMillis + " ms");
      assertThat(upstream.requests()).isPositive();

      // heartbeats keep it beyond its TTL
      for (int i = 0; i < 6; i++) {
        Thread.sleep(500);
        registry.heartbeat(lease);
      }
      assertThat(a.get("in", "/echo").statusCode()).isEqualTo(200);

      // no more heartbeats: etcd expires the lease and the endpoint leaves the proxy
      long stopped = System.nanoTime();
      await()
          .atMost(Duration.ofSeconds(8))
          .pollInterval(Duration.ofMillis(20))
          .until(() -> a.get("in", "/echo").statusCode() == 503);
      System.out.println(
          "expired instance (ttl 2 s) left routing after "
              + (System.nanoTime() - stopped) / 1_000_000
              + " ms");
    }
  }

  static io.plugmesh.control.server.registry.ServiceRegistry registryOf(ControlServer server) {
    return server.registry();
  }
}
