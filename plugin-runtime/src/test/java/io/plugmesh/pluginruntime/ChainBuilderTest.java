package io.plugmesh.pluginruntime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.plugmesh.config.PluginEntry;
import io.plugmesh.config.RouteConfig;
import io.plugmesh.filters.FilterFactory;
import io.plugmesh.filters.HeadersFilter;
import io.plugmesh.filters.Phase;
import io.plugmesh.filters.ProxyResponse;
import io.plugmesh.filters.RequestDecision;
import io.plugmesh.filters.advanced.BodyAccess;
import io.plugmesh.filters.advanced.FilterMode;
import io.plugmesh.filters.internal.ChainRunner;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChainBuilderTest {
  @TempDir Path emptyPlugins;

  private final MeterRegistry registry = new SimpleMeterRegistry();
  private final KernelServices services = KernelServices.defaults(registry, "mesh");
  private PluginHost host;

  @AfterEach
  void tearDown() {
    if (host != null) {
      host.close();
    }
    services.close();
  }

  private ChainBuilder builder(FilterFactory<?>... builtins) {
    host = PluginHost.load(emptyPlugins, "0.1.0", Arrays.asList(builtins));
    return new ChainBuilder(host, services);
  }

  private static RouteConfig route(String name, PluginEntry... plugins) {
    return new RouteConfig(name, null, List.of(), Duration.ofSeconds(2), List.of(plugins));
  }

  private static PluginEntry entry(String name, Object config) {
    return new PluginEntry(name, FilterMode.ENFORCE, config);
  }

  private static HeadersFilter answering(int status) {
    return request -> RequestDecision.respond(ProxyResponse.of(status, "denied\n"));
  }

  @Test
  void buildsChainInOrderAndRunsIt() throws Exception {
    ChainBuilder builder =
        builder(
            TestFactory.passing("authn", Phase.AUTHN),
            TestFactory.passing("rbac", Phase.AUTHZ),
            TestFactory.passing("trace", Phase.OBSERVE));
    BuiltChain chain =
        builder.build(
            route(
                "reviews-read",
                entry("trace", Map.of()),
                entry("authn", Map.of()),
                entry("rbac", null)),
            7);

    assertThat(chain.plugins()).containsExactly("trace", "authn", "rbac");
    assertThat(chain.route()).isEqualTo("reviews-read");
    assertThat(chain.configVersion()).isEqualTo(7);
    assertThat(chain.replayBytes()).isZero();
    assertThat(chain.bufferedBodyBytes()).isZero();
    AtomicInteger upstream = new AtomicInteger();
    ProxyResponse response = TestRequest.run(chain, TestRequest.get("/reviews"), upstream);
    assertThat(response.status()).isEqualTo(200);
    assertThat(upstream).hasValue(1);
  }

  @Test
  void unknownPluginNamesTheKnownOnes() {
    ChainBuilder builder =
        builder(
            TestFactory.passing("b-filter", Phase.CUSTOM),
            TestFactory.passing("a-filter", Phase.CUSTOM));
    PluginConfigException e =
        catchThrowableOfType(
            PluginConfigException.class,
            () ->
                builder.build(
                    route("r1", entry("a-filter", Map.of()), entry("nope", Map.of())), 1));
    assertThat(e.problems()).hasSize(1);
    assertThat(e.route()).isEqualTo("r1");
    assertThat(e.plugin()).isEqualTo("nope");
    assertThat(e.pluginIndex()).isEqualTo(1);
    assertThat(e.getMessage())
        .isEqualTo(
            "route 'r1', plugin 'nope' (#2): unknown plugin 'nope' (known: a-filter, b-filter)");
  }

  @Test
  void schemaViolationsNameTheField() {
    TestFactory rbac =
        TestFactory.passing("rbac", Phase.AUTHZ)
            .withSchema(
                """
                {"type": "object", "required": ["rules"], "additionalProperties": false,
                 "properties": {"rules": {"type": "array", "items": {"type": "object",
                   "properties": {"allow": {"type": "boolean"}}}}}}""");
    ChainBuilder builder = builder(TestFactory.passing("authn", Phase.AUTHN), rbac);
    PluginConfigException e =
        catchThrowableOfType(
            PluginConfigException.class,
            () ->
                builder.build(
                    route(
                        "reviews-read",
                        entry("authn", Map.of()),
                        entry(
                            "rbac", Map.of("rules", List.of(Map.of("allow", "yes")), "extra", 1))),
                    1));

    assertThat(e.problems())
        .extracting(PluginConfigException.Problem::field)
        .containsExactlyInAnyOrder("config.rules[0].allow", "config.extra");
    assertThat(e.problems())
        .allSatisfy(
            p -> {
              assertThat(p.route()).isEqualTo("reviews-read");
              assertThat(p.plugin()).isEqualTo("rbac");
              assertThat(p.pluginIndex()).isEqualTo(1);
            });
    assertThat(e.getMessage())
        .contains("route 'reviews-read', plugin 'rbac' (#2): config.rules[0].allow: ")
        .contains("boolean expected (got \"yes\")");
    assertThat(rbac.created).isZero();
  }

  @Test
  void missingRequiredFieldNamesIt() {
    TestFactory limit =
        TestFactory.passing("ratelimit", Phase.RATE_LIMIT)
            .withSchema("{\"type\": \"object\", \"required\": [\"tokens\"]}");
    ChainBuilder builder = builder(limit);
    PluginConfigException e =
        catchThrowableOfType(
            PluginConfigException.class,
            () -> builder.build(route("r", entry("ratelimit", Map.of())), 1));
    assertThat(e.field()).isEqualTo("config.tokens");
  }

  @Test
  void parseConfigErrorNamesRoutePluginAndField() {
    TestFactory limit =
        TestFactory.passing("ratelimit", Phase.RATE_LIMIT)
            .withParser(
                c -> {
                  int tokens = c.integer("tokens");
                  if (tokens <= 0) {
                    throw c.get("tokens").invalid(tokens + " (expected: > 0)");
                  }
                  return c;
                });
    ChainBuilder builder =
        builder(
            TestFactory.passing("authn-jwt", Phase.AUTHN),
            TestFactory.passing("rbac", Phase.AUTHZ),
            limit);
    PluginConfigException e =
        catchThrowableOfType(
            PluginConfigException.class,
            () ->
                builder.build(
                    route(
                        "reviews-read",
                        entry("authn-jwt", Map.of()),
                        entry("rbac", Map.of()),
                        entry("ratelimit", Map.of("tokens", -1))),
                    1));
    assertThat(e.getMessage())
        .isEqualTo(
            "route 'reviews-read', plugin 'ratelimit' (#3): config.tokens: -1 (expected: > 0)");
    assertThat(e.field()).isEqualTo("config.tokens");
    assertThat(e.pluginIndex()).isEqualTo(2);
  }

  @Test
  void unexpectedExceptionsFromTheFactoryAreClearErrors() {
    TestFactory parseThrows =
        TestFactory.passing("p1", Phase.CUSTOM)
            .withParser(
                c -> {
                  throw new IllegalStateException("parser bug");
                });
    TestFactory createThrows =
        TestFactory.passing("p2", Phase.CUSTOM)
            .withFilter(
                (c, s) -> {
                  throw new IllegalStateException("create bug");
                });
    ChainBuilder builder = builder(parseThrows, createThrows);

    assertThatThrownBy(() -> builder.build(route("r", entry("p1", Map.of())), 1))
        .isInstanceOf(PluginConfigException.class)
        .hasMessage(
            "route 'r', plugin 'p1' (#1): parseConfig threw java.lang.IllegalStateException:"
                + " parser bug");
    assertThatThrownBy(() -> builder.build(route("r", entry("p2", Map.of())), 1))
        .isInstanceOf(PluginConfigException.class)
        .hasMessage(
            "route 'r', plugin 'p2' (#1): create threw java.lang.IllegalStateException: create bug");
  }

  @Test
  void phaseOrderViolationIsRejected() {
    ChainBuilder builder =
        builder(
            TestFactory.passing("authn-jwt", Phase.AUTHN),
            TestFactory.passing("rbac", Phase.AUTHZ),
            TestFactory.passing("trace", Phase.OBSERVE));
    PluginConfigException e =
        catchThrowableOfType(
            PluginConfigException.class,
            () ->
                builder.build(
                    route(
                        "r",
                        entry("rbac", Map.of()),
                        entry("trace", Map.of()),
                        entry("authn-jwt", Map.of())),
                    1));
    assertThat(e.problems()).hasSize(1);
    assertThat(e.getMessage())
        .isEqualTo(
            "route 'r', plugin 'rbac' (#1): plugin 'rbac' (phase AUTHZ) must come after"
                + " 'authn-jwt' (phase AUTHN)");
  }

  @Test
  void offEntriesAreSkippedEntirely() throws Exception {
    TestFactory fault =
        TestFactory.passing("fault", Phase.FAULT)
            .withParser(
                c -> {
                  throw c.invalid("must not be parsed when off");
                });
    ChainBuilder builder = builder(TestFactory.passing("authn", Phase.AUTHN), fault);
    BuiltChain chain =
        builder.build(
            route(
                "r",
                new PluginEntry("fault", FilterMode.OFF, Map.of("anything", true)),
                new PluginEntry("not-installed", FilterMode.OFF, Map.of()),
                entry("authn", Map.of())),
            1);
    assertThat(chain.plugins()).containsExactly("authn");
    assertThat(fault.created).isZero();
  }

  @Test
  void shadowLinkCountsButLetsTheRequestThrough() throws Exception {
    TestFactory ratelimit =
        TestFactory.passing("ratelimit", Phase.RATE_LIMIT).withFilter((c, s) -> answering(429));
    TestFactory rbac =
        TestFactory.passing("rbac", Phase.AUTHZ).withFilter((c, s) -> answering(403));
    ChainBuilder builder = builder(ratelimit, rbac);
    BuiltChain chain =
        builder.build(route("r", new PluginEntry("ratelimit", FilterMode.SHADOW, Map.of())), 1);
    assertThat(chain.runner().links())
        .singleElement()
        .satisfies(link -> assertThat(link.mode()).isEqualTo(FilterMode.SHADOW));
    assertThat(ratelimit.lastServices.mode()).isEqualTo(FilterMode.SHADOW);

    AtomicInteger upstream = new AtomicInteger();
    ProxyResponse response = TestRequest.run(chain, TestRequest.get("/"), upstream);
    assertThat(response.status()).isEqualTo(200);
    assertThat(upstream).hasValue(1);
    assertThat(count("r", "ratelimit", "shadow")).isEqualTo(1.0);
    assertThat(count("r", "ratelimit", "respond")).isZero();

    BuiltChain enforced = builder.build(route("r2", entry("rbac", Map.of())), 1);
    assertThat(rbac.lastServices.mode()).isEqualTo(FilterMode.ENFORCE);
    assertThat(TestRequest.run(enforced, TestRequest.get("/"), upstream).status()).isEqualTo(403);
    assertThat(upstream).hasValue(1);
    assertThat(count("r2", "rbac", "respond")).isEqualTo(1.0);
  }

  @Test
  void observerCountsDecisionsAndTimesCalls() throws Exception {
    ChainBuilder builder =
        builder(
            TestFactory.passing("pass", Phase.CUSTOM),
            TestFactory.passing("boom", Phase.CUSTOM)
                .withFilter(
                    (c, s) ->
                        (request, chain) -> {
                          throw new IllegalStateException("filter bug");
                        }));
    BuiltChain chain =
        builder.build(route("r", entry("pass", Map.of()), entry("boom", Map.of())), 1);

    AtomicInteger upstream = new AtomicInteger();
    CompletableFuture<ProxyResponse> result =
        chain
            .runner()
            .run(
                TestRequest.get("/"),
                r -> CompletableFuture.completedFuture(ProxyResponse.of(200, "")),
                Runnable::run,
                chain.observer())
            .toCompletableFuture();
    assertThat(result).isCompletedExceptionally();
    assertThat(upstream).hasValue(0);
    assertThat(count("r", "boom", "error")).isEqualTo(1.0);
    // The failure passed back through 'pass': not its own, so it counts as continue.
    assertThat(count("r", "pass", "continue")).isEqualTo(1.0);
    assertThat(count("r", "pass", "error")).isZero();
    assertThat(
            registry
                .get("mesh.plugin.duration")
                .tags("route", "r", "plugin", "boom")
                .timer()
                .count())
        .isEqualTo(1);
    assertThat(registry.get("mesh.plugin.duration").timer().getId().getDescription()).isNotBlank();
    assertThat(registry.get("mesh.plugin.decisions").counter().getId().getDescription())
        .isNotBlank();
  }

  @Test
  void replayAndBufferedBodyAreTheMaximaOverLinks() throws Exception {
    ChainBuilder builder =
        builder(
            TestFactory.passing("retry", Phase.RETRY).withReplay(64 * 1024),
            TestFactory.passing("waf", Phase.CUSTOM).withBody(BodyAccess.buffered(8192)),
            TestFactory.passing("waf2", Phase.CUSTOM).withBody(BodyAccess.buffered(1024)),
            TestFactory.passing("plain", Phase.CUSTOM));
    BuiltChain chain =
        builder.build(
            route(
                "r",
                entry("waf", Map.of()),
                entry("waf2", Map.of()),
                entry("plain", Map.of()),
                entry("retry", Map.of())),
            1);
    assertThat(chain.replayBytes()).isEqualTo(64 * 1024);
    assertThat(chain.bufferedBodyBytes()).isEqualTo(8192);
    assertThat(chain.runner().links())
        .extracting(ChainRunner.Link::name, ChainRunner.Link::replay)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("waf", false),
            org.assertj.core.groups.Tuple.tuple("waf2", false),
            org.assertj.core.groups.Tuple.tuple("plain", false),
            org.assertj.core.groups.Tuple.tuple("retry", true));
  }

  @Test
  void buildAllCollectsEveryProblemAndBuildsNothing() {
    TestFactory good = TestFactory.passing("good", Phase.CUSTOM);
    TestFactory strict =
        TestFactory.passing("strict", Phase.CUSTOM)
            .withSchema("{\"type\": \"object\", \"additionalProperties\": false}");
    ChainBuilder builder = builder(good, strict);
    PluginConfigException e =
        catchThrowableOfType(
            PluginConfigException.class,
            () ->
                builder.buildAll(
                    List.of(
                        route("ok", entry("good", Map.of())),
                        route("bad1", entry("missing", Map.of())),
                        route("bad2", entry("good", Map.of()), entry("strict", Map.of("x", 1))),
                        route("ok", entry("good", Map.of()))),
                    3));
    assertThat(e.problems())
        .extracting(PluginConfigException.Problem::route)
        .containsExactly("bad1", "bad2", "ok");
    assertThat(e.getMessage()).startsWith("3 plugin config problems:");
    assertThat(e.getMessage()).contains("route 'bad2', plugin 'strict' (#2): config.x: ");
    assertThat(e.getMessage()).contains("route 'ok': name: duplicate route name");
    assertThat(good.created).isZero();
    assertThat(strict.created).isZero();
  }

  @Test
  void buildAllBuildsEveryRouteWhenAllAreValid() throws Exception {
    TestFactory good = TestFactory.passing("good", Phase.CUSTOM);
    ChainBuilder builder = builder(good);
    Map<String, BuiltChain> chains =
        builder.buildAll(
            List.of(route("a", entry("good", Map.of())), route("b", entry("good", Map.of()))), 4);
    assertThat(chains).containsOnlyKeys("a", "b");
    assertThat(chains.get("b").configVersion()).isEqualTo(4);
    assertThat(good.created).isEqualTo(2);
    assertThat(good.lastServices.routeName()).isEqualTo("b");
    assertThat(good.lastServices.pluginName()).isEqualTo("good");
  }

  private double count(String route, String plugin, String decision) {
    return registry
        .get("mesh.plugin.decisions")
        .tags("route", route, "plugin", plugin, "decision", decision)
        .counter()
        .count();
  }
}
