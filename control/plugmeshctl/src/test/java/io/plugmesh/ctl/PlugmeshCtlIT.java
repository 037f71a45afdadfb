package io.plugmesh.ctl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.plugmesh.control.api.v1.ProxyStatus;
import io.plugmesh.control.server.ControlServer;
import io.plugmesh.control.server.testing.ControlFixture;
import io.plugmesh.control.server.testing.TestFilters;
import io.plugmesh.control.server.testing.TestProxy;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every plugmeshctl verb against a running control replica with one connected proxy. */
class PlugmeshCtlIT {
  @TempDir static Path dir;
  static ControlServer server;
  static TestProxy proxy;
  static Path good;
  static Path bad;

  static final String GOOD =
      """
      listeners:
        - {name: in, address: "127.0.0.1:0"}
      clusters:
        - {name: backend, endpoints: [{address: "127.0.0.1:9"}]}
      routes:
        - name: tagged
          match: {pathPrefix: /tag, methods: [GET]}
          cluster: backend
          plugins:
            - {name: authn-test}
            - {name: tag, mode: shadow, config: {value: one}}
      """;

  record Result(int code, String out, String err) {}

  static Result ctl(String... args) {
    List<String> all = new ArrayList<>();
    if (server != null) {
      all.add("--server=127.0.0.1:" + server.grpcPort());
    }
    all.add("--token=" + ControlFixture.TOKEN);
    all.addAll(List.of(args));
    return raw(all.toArray(String[]::new));
  }

  static Result raw(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code =
        PlugmeshCtl.run(
            args,
            new PrintWriter(out),
            new PrintWriter(err),
            new ByteArrayInputStream(new byte[0]));
    return new Result(code, out.toString(), err.toString());
  }

  @BeforeAll
  static void start() throws Exception {
    server = ControlFixture.files(dir.resolve("store"));
    proxy =
        TestProxy.start(
            "a", "web", List.of("127.0.0.1:" + server.grpcPort()), null, TestFilters.all());
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> server.operations().status().getProxiesCount() == 1);
    good = dir.resolve("good.yaml");
    Files.writeString(good, GOOD);
    bad = dir.resolve("bad.yaml");
    Files.writeString(bad, GOOD.replace("value: one", "value: 5"));
  }

  @AfterAll
  static void stop() {
    proxy.close();
    server.close();
  }

  @Test
  void everyVerb() throws Exception {
    // a wrong token is an error
    Result denied =
        raw("--server=127.0.0.1:" + server.grpcPort(), "--token=wrong", "get", "routes");
    assertThat(denied.code()).isEqualTo(2);
    assertThat(denied.err()).contains("UNAUTHENTICATED");

    // the catalog, for offline validation
    Result plugins = ctl("get", "plugins", "-o", "json");
    assertThat(plugins.code()).isZero();
    Path catalog = dir.resolve("catalog.json");
    Files.writeString(catalog, plugins.out());
    Result pluginTable = ctl("get", "plugins");
    assertThat(pluginTable.out()).contains("NAME").contains("tag").contains("AUTHN");

    // validate, offline
    Result valid = raw("validate", "-f", good.toString(), "--catalog", catalog.toString());
    assertThat(valid.code()).as(valid.err()).isZero();
    assertThat(valid.out()).contains("is valid: 1 listeners, 1 clusters, 1 routes");
    Result invalid = raw("validate", "-f", bad.toString(), "--catalog", catalog.toString());
    assertThat(invalid.code()).isEqualTo(1);
    assertThat(invalid.err()).contains("route 'tagged', plugin 'tag' (#2): config.value");
    Result unknown = raw("validate", "-f", good.toString());
    assertThat(unknown.code()).isEqualTo(1);
    assertThat(unknown.err()).contains("unknown plugin 'authn-test'");
    Result missing = raw("validate", "-f", dir.resolve("nope.yaml").toString());
    assertThat(missing.code()).isEqualTo(2);

    // diff before apply: changes
    Result diff1 = ctl("diff", "-f", good.toString());
    assertThat(diff1.code()).isEqualTo(1);
    assertThat(diff1.out()).contains("+ route/tagged").contains("+ cluster/backend");
    // apply a bad file: rejected, nothing stored
    Result rejected = ctl("apply", "-f", bad.toString());
    assertThat(rejected.code()).isEqualTo(1);
    assertThat(rejected.err()).contains("plugin 'tag' (#2): config.value");
    assertThat(ctl("diff", "-f", bad.toString()).code()).isEqualTo(3);
    // apply
    Result applied = ctl("apply", "-f", good.toString());
    assertThat(applied.code()).as(applied.err()).isZero();
    assertThat(applied.out()).contains("route/tagged created");
    Result diff0 = ctl("diff", "-f", good.toString());
    assertThat(diff0.code()).as(diff0.out() + diff0.err()).isZero();
    Path changed = dir.resolve("changed.yaml");
    Files.writeString(changed, GOOD.replace("value: one", "value: two"));
    Result diffChanged = ctl("diff", "-f", changed.toString());
    assertThat(diffChanged.code()).isEqualTo(1);
    assertThat(diffChanged.out()).contains("~ route/tagged").contains("+ ").contains("two");

    // get
    Result routes = ctl("get", "routes");
    assertThat(routes.code()).isZero();
    assertThat(routes.out())
        .contains("ROUTE")
        .contains("tagged")
        .contains("authn-test,tag(shadow)");
    assertThat(ctl("get", "routes", "-o", "yaml").out()).contains("name: \"tagged\"");
    assertThat(ctl("get", "clusters", "-o", "json").out()).contains("\"backend\"");
    assertThat(ctl("get", "routes", "-o", "xml").code()).isEqualTo(2);

    // status: the proxy acknowledged
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                server.operations().status().getProxiesList().stream()
                    .allMatch(
                        s ->
                            !s.getAckedVersion().isEmpty()
                                && s.getAckedVersion().equals(s.getSentVersion())));
    ProxyStatus st = server.operations().status().getProxies(0);
    Result status = ctl("status");
    assertThat(status.code()).isZero();
    assertThat(status.out()).contains("a").contains("SYNCED").contains(st.getAckedVersion());
    assertThat(ctl("status", "-o", "json").out()).contains("\"ackedVersion\"");

    // explain
    Result explain = ctl("explain", "--node", "a", "/tag/1?x=y");
    assertThat(explain.code()).as(explain.err()).isZero();
    assertThat(explain.out())
        .contains("route:    tagged")
        .contains("1. authn-test  mode=enforce  phase=AUTHN")
        .contains(
            "2. tag  mode=shadow  phase=CUSTOM  config={\"note\":\"none\",\"value\":\"one\"}");
    Result post = ctl("explain", "--node", "a", "-X", "POST", "/tag");
    assertThat(post.code()).isEqualTo(1);
    assertThat(post.out()).contains("no route matches");
    assertThat(ctl("explain", "--node", "ghost", "/tag").code()).isEqualTo(2);

    // delete: a cluster still in use is refused; the route then the cluster go
    Result inUse = ctl("delete", "cluster", "backend");
    assertThat(inUse.code()).isEqualTo(1);
    assertThat(inUse.err()).contains("backend");
    assertThat(ctl("delete", "route", "nope").code()).isEqualTo(1);
    Result deleted = ctl("delete", "route", "tagged");
    assertThat(deleted.code()).as(deleted.err()).isZero();
    assertThat(deleted.out()).contains("route/tagged deleted");
    assertThat(ctl("get", "routes", "-o", "json").out()).doesNotContain("tagged");
  }
}
