package io.plugmesh.config.route;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.plugmesh.config.BackendRef;
import io.plugmesh.config.MatchConfig;
import io.plugmesh.config.MatchConfig.PathKind;
import io.plugmesh.config.RouteConfig;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class RouteTableTest {
  private static final Function<String, String> NO_HEADERS = name -> null;
  private static final List<BackendRef> ONE = List.of(new BackendRef("c", 1));

  private static RouteConfig route(String name, MatchConfig match) {
    return new RouteConfig(name, match, ONE, null, List.of());
  }

  private static MatchConfig path(PathKind kind, String path) {
    return new MatchConfig(kind, path, List.of(), Map.of(), List.of());
  }

  private static Optional<String> match(RouteTable table, String method, String path) {
    return match(table, method, path, "svc.local", NO_HEADERS);
  }

  private static Optional<String> match(
      RouteTable table,
      String method,
      String path,
      String authority,
      Function<String, String> headers) {
    return table.match(method, path, authority, headers).map(CompiledRoute::name);
  }

  @Test
  void prefixMatchesOnSegmentBoundaries() {
    RouteTable table = RouteTable.compile(List.of(route("r", path(PathKind.PREFIX, "/reviews"))));
    assertThat(match(table, "GET", "/reviews")).contains("r");
    assertThat(match(table, "GET", "/reviews/1")).contains("r");
    assertThat(match(table, "GET", "/reviews/1/comments")).contains("r");
    assertThat(match(table, "GET", "/reviewsX")).isEmpty();
    assertThat(match(table, "GET", "/review")).isEmpty();
    assertThat(match(table, "GET", "/")).isEmpty();
  }

  @Test
  void prefixWithTrailingSlashAndRootPrefix() {
    RouteTable slash = RouteTable.compile(List.of(route("r", path(PathKind.PREFIX, "/api/"))));
    assertThat(match(slash, "GET", "/api/x")).contains("r");
    assertThat(match(slash, "GET", "/api/")).contains("r");
    assertThat(match(slash, "GET", "/api")).isEmpty();

    RouteTable root = RouteTable.compile(List.of(route("all", path(PathKind.PREFIX, "/"))));
    assertThat(match(root, "GET", "/")).contains("all");
    assertThat(match(root, "GET", "/anything/at/all")).contains("all");
  }

  @Test
  void exactMatchesOnlyThePath() {
    RouteTable table = RouteTable.compile(List.of(route("r", path(PathKind.EXACT, "/healthz"))));
    assertThat(match(table, "GET", "/healthz")).contains("r");
    assertThat(match(table, "GET", "/healthz/")).isEmpty();
    assertThat(match(table, "GET", "/healthz/x")).isEmpty();
  }

  @Test
  void regexMatchesTheWholePath() {
    RouteTable table =
        RouteTable.compile(List.of(route("r", path(PathKind.REGEX, "/v[0-9]+/items"))));
    assertThat(match(table, "GET", "/v2/items")).contains("r");
    assertThat(match(table, "GET", "/v2/items/3")).isEmpty();
    assertThat(match(table, "GET", "/x/v2/items")).isEmpty();
  }

  @Test
  void methodsRestrict() {
    MatchConfig m =
        new MatchConfig(PathKind.PREFIX, "/", List.of("GET", "HEAD"), Map.of(), List.of());
    RouteTable table = RouteTable.compile(List.of(route("read", m)));
    assertThat(match(table, "GET", "/x")).contains("read");
    assertThat(match(table, "HEAD", "/x")).contains("read");
    assertThat(match(table, "POST", "/x")).isEmpty();
    assertThat(match(table, "get", "/x")).isEmpty();
  }

  @Test
  void headersMustHaveTheExactValue() {
    MatchConfig m =
        new MatchConfig(PathKind.PREFIX, "/", List.of(), Map.of("x-user-group", "beta"), List.of());
    RouteTable table = RouteTable.compile(List.of(route("beta", m)));
    assertThat(match(table, "GET", "/", "a", Map.of("x-user-group", "beta")::get)).contains("beta");
    assertThat(match(table, "GET", "/", "a", Map.of("x-user-group", "Beta")::get)).isEmpty();
    assertThat(match(table, "GET", "/", "a", Map.of("x-user-group", "beta2")::get)).isEmpty();
    assertThat(match(table, "GET", "/", "a", NO_HEADERS)).isEmpty();
  }

  @Test
  void authorityIgnoresCaseAndPortAndSupportsWildcards() {
    MatchConfig m =
        new MatchConfig(
            PathKind.PREFIX,
            "/",
            List.of(),
            Map.of(),
            List.of("Reviews.Local", "*.example.com", "[::1]", "10.0.0.1"));
    RouteTable table = RouteTable.compile(List.of(route("r", m)));
    Function<String, Optional<String>> at = a -> match(table, "GET", "/", a, NO_HEADERS);
    assertThat(at.apply("reviews.local")).contains("r");
    assertThat(at.apply("REVIEWS.LOCAL:8080")).contains("r");
    assertThat(at.apply("reviews.local.")).contains("r");
    assertThat(at.apply("api.example.com")).contains("r");
    assertThat(at.apply("a.b.example.com:443")).contains("r");
    assertThat(at.apply("[::1]:15001")).contains("r");
    assertThat(at.apply("10.0.0.1:80")).contains("r");
    assertThat(at.apply("example.com")).isEmpty();
    assertThat(at.apply("badexample.com")).isEmpty();
    assertThat(at.apply("reviews.local.evil")).isEmpty();
    assertThat(at.apply("xreviews.local")).isEmpty();
    assertThat(at.apply(null)).isEmpty();
  }

  @Test
  void bareIpv6AuthorityInConfigMatchesBracketedRequests() {
    MatchConfig m = new MatchConfig(PathKind.PREFIX, "/", List.of(), Map.of(), List.of("::1"));
    RouteTable table = RouteTable.compile(List.of(route("r", m)));
    assertThat(match(table, "GET", "/", "[::1]:80", NO_HEADERS)).contains("r");
  }

  @Test
  void firstMatchWinsInListOrder() {
    RouteTable table =
        RouteTable.compile(
            List.of(
                route("specific", path(PathKind.PREFIX, "/reviews/admin")),
                route("reviews", path(PathKind.PREFIX, "/reviews")),
                route("all", path(PathKind.PREFIX, "/"))));
    assertThat(match(table, "GET", "/reviews/admin/1")).contains("specific");
    assertThat(match(table, "GET", "/reviews/1")).contains("reviews");
    assertThat(match(table, "GET", "/other")).contains("all");
    assertThat(table.routes()).extracting(CompiledRoute::index).containsExactly(0, 1, 2);

    RouteTable shadowed =
        RouteTable.compile(
            List.of(
                route("all", path(PathKind.PREFIX, "/")),
                route("reviews", path(PathKind.PREFIX, "/reviews"))));
    assertThat(match(shadowed, "GET", "/reviews/1")).contains("all");
  }

  @Test
  void allCriteriaMustHold() {
    MatchConfig m =
        new MatchConfig(
            PathKind.PREFIX,
            "/reviews",
            List.of("GET"),
            Map.of("x-v", "2"),
            List.of("reviews.local"));
    RouteTable table = RouteTable.compile(List.of(route("r", m)));
    Function<String, String> h = Map.of("x-v", "2")::get;
    assertThat(match(table, "GET", "/reviews", "reviews.local", h)).contains("r");
    assertThat(match(table, "PUT", "/reviews", "reviews.local", h)).isEmpty();
    assertThat(match(table, "GET", "/other", "reviews.local", h)).isEmpty();
    assertThat(match(table, "GET", "/reviews", "other.local", h)).isEmpty();
    assertThat(match(table, "GET", "/reviews", "reviews.local", NO_HEADERS)).isEmpty();
  }

  @Test
  void onlyNamesSelectsAndOrders() {
    List<RouteConfig> routes =
        List.of(
            route("all", path(PathKind.PREFIX, "/")),
            route("reviews", path(PathKind.PREFIX, "/reviews")),
            route("ratings", path(PathKind.PREFIX, "/ratings")));
    RouteTable table = RouteTable.compile(routes, List.of("reviews", "all"));
    assertThat(table.routes()).extracting(CompiledRoute::name).containsExactly("reviews", "all");
    assertThat(match(table, "GET", "/reviews/1")).contains("reviews");
    assertThat(match(table, "GET", "/ratings/1")).contains("all");
    assertThat(table.match("GET", "/reviews/1", null, NO_HEADERS).get().index()).isEqualTo(0);

    assertThat(RouteTable.compile(routes, List.of()).size()).isEqualTo(3);
    assertThatThrownBy(() -> RouteTable.compile(routes, List.of("nope")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'nope'");
  }

  @Test
  void emptyTableMatchesNothing() {
    assertThat(RouteTable.compile(List.of()).match("GET", "/", "a", NO_HEADERS)).isEmpty();
  }

  @Test
  void exposesTheConfig() {
    RouteConfig config = route("r", path(PathKind.PREFIX, "/"));
    CompiledRoute compiled = RouteTable.compile(List.of(config)).routes().get(0);
    assertThat(compiled.config()).isSameAs(config);
    assertThat(compiled.name()).isEqualTo("r");
  }

  @Test
  void weightedSplitFollowsTheWeights() {
    RouteConfig canary =
        new RouteConfig(
            "canary",
            path(PathKind.PREFIX, "/"),
            List.of(new BackendRef("v1", 90), new BackendRef("v2", 10), new BackendRef("v3", 0)),
            null,
            List.of());
    CompiledRoute route = RouteTable.compile(List.of(canary)).routes().get(0);
    int picks = 20_000;
    int v1 = 0;
    int v2 = 0;
    for (int i = 0; i < picks; i++) {
      String cluster = route.pickBackend().cluster();
      switch (cluster) {
        case "v1" -> v1++;
        case "v2" -> v2++;
        default -> throw new AssertionError("picked " + cluster + " with weight 0");
      }
    }
    // expected 2000 for v2; sd = sqrt(20000 * 0.1 * 0.9) ~ 42; allow about 7 sd either way
    assertThat(v2).isBetween(1700, 2300);
    assertThat(v1 + v2).isEqualTo(picks);
  }

  @Test
  void aSingleBackendIsAlwaysPicked() {
    CompiledRoute route =
        RouteTable.compile(List.of(route("r", path(PathKind.PREFIX, "/")))).routes().get(0);
    for (int i = 0; i < 100; i++) {
      assertThat(route.pickBackend()).isEqualTo(ONE.get(0));
    }
  }

  @Test
  void compilingRejectsWhatTheValidatorWouldHaveCaught() {
    assertThatThrownBy(() -> RouteTable.compile(List.of(route("r", path(PathKind.REGEX, "(")))))
        .isInstanceOf(IllegalArgumentException.class);
    RouteConfig zero =
        new RouteConfig(
            "z", path(PathKind.PREFIX, "/"), List.of(new BackendRef("c", 0)), null, List.of());
    assertThatThrownBy(() -> RouteTable.compile(List.of(zero)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("weight > 0");
  }
}
