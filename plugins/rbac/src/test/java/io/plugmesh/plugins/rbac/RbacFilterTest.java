package io.plugmesh.plugins.rbac;

import static org.assertj.core.api.Assertions.assertThat;

import io.plugmesh.filters.advanced.FilterMode;
import io.plugmesh.filters.advanced.Principal;
import io.plugmesh.filters.advanced.ResponseFlag;
import io.plugmesh.filters.testkit.FilterHarness;
import io.plugmesh.filters.testkit.TestRequest;
import io.plugmesh.filters.testkit.TestResponse;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RbacFilterTest {

  private static FilterHarness harness(Object... rules) {
    return FilterHarness.of(new RbacFilterFactory(), Map.of("rules", List.of(rules)));
  }

  private static Map<String, Object> allow(String name, Map<String, ?> condition) {
    return Map.of("name", name, "allow", condition);
  }

  private static Map<String, Object> deny(String name, Map<String, ?> condition) {
    return Map.of("name", name, "deny", condition);
  }

  private static Principal user(String subject, Map<String, Object> claims) {
    return new Principal(subject, "https://idp.test", claims);
  }

  private static int status(FilterHarness harness, TestRequest request) {
    return harness.send(request).status();
  }

  @Test
  void denyRulesWinOverAllowRules() {
    FilterHarness harness =
        harness(
            allow("everyone", Map.of()),
            deny("no-admin", Map.of("paths", List.of(Map.of("prefix", "/admin")))));
    assertThat(status(harness, TestRequest.get("/reviews"))).isEqualTo(200);
    TestResponse denied = harness.send(TestRequest.get("/admin/users"));
    assertThat(denied.status()).isEqualTo(403);
    assertThat(denied.fromUpstream()).isFalse();
    assertThat(denied.bodyText())
        .isEqualTo("forbidden: denied by rbac rule 'no-admin' on route 'test-route'\n");
    assertThat(denied.responseFlags()).contains(ResponseFlag.UNAUTHORIZED);
    assertThat(harness.upstream().attempts()).isEqualTo(1);
    assertThat(harness.metrics().count("allowed", "policy", "everyone")).isEqualTo(1);
    assertThat(harness.metrics().count("denied", "policy", "no-admin")).isEqualTo(1);
  }

  @Test
  void anyAllowRuleMakesTheDefaultDeny() {
    FilterHarness harness = harness(allow("reads", Map.of("methods", List.of("GET", "head"))));
    assertThat(status(harness, TestRequest.get("/"))).isEqualTo(200);
    assertThat(status(harness, TestRequest.of("HEAD", "/"))).isEqualTo(200);
    TestResponse post = harness.send(TestRequest.post("/", "x"));
    assertThat(post.status()).isEqualTo(403);
    assertThat(post.bodyText()).contains("no rbac rule allows this request");
    assertThat(harness.metrics().count("denied", "policy", "default")).isEqualTo(1);
  }

  @Test
  void withOnlyDenyRulesTheRestIsAllowed() {
    FilterHarness harness = harness(deny("no-delete", Map.of("methods", List.of("DELETE"))));
    assertThat(status(harness, TestRequest.get("/x"))).isEqualTo(200);
    assertThat(status(harness, TestRequest.delete("/x"))).isEqualTo(403);
    assertThat(harness.metrics().count("allowed", "policy", "default")).isEqualTo(1);
  }

  @Test
  void claimArraysScopesAndNestedClaimsMatchAnyAcceptedValue() {
    FilterHarness harness =
        harness(
            allow("editors", Map.of("claims", Map.of("roles", List.of("editor", "admin")))),
            allow("readers", Map.of("claims", Map.of("scope", "reviews.read"))),
            allow("realm", Map.of("claims", Map.of("realm_access.roles", "auditor"))));
    assertThat(
            status(
                harness,
                TestRequest.get("/")
                    .principal(user("a", Map.of("roles", List.of("viewer", "admin"))))))
        .isEqualTo(200);
    assertThat(
            status(
                harness,
                TestRequest.get("/").principal(user("b", Map.of("roles", List.of("viewer"))))))
        .isEqualTo(403);
    assertThat(
            status(
                harness,
                TestRequest.get("/")
                    .principal(user("c", Map.of("scope", "openid reviews.read profile")))))
        .isEqualTo(200);
    assertThat(
            status(
                harness,
                TestRequest.get("/")
                    .principal(
                        user("d", Map.of("realm_access", Map.of("roles", List.of("auditor")))))))
        .isEqualTo(200);
    // A claim value that merely contains the accepted one does not match.
    assertThat(
            status(
                harness,
                TestRequest.get("/").principal(user("e", Map.of("roles", "administrator")))))
        .isEqualTo(403);
    // Without a principal, claim conditions fail.
    assertThat(status(harness, TestRequest.get("/"))).isEqualTo(403);
  }

  @Test
  void allClaimConditionsOfARuleMustHold() {
    FilterHarness harness =
        harness(allow("acme-admins", Map.of("claims", Map.of("tenant", "acme", "roles", "admin"))));
    assertThat(
            status(
                harness,
                TestRequest.get("/")
                    .principal(user("a", Map.of("tenant", "acme", "roles", List.of("admin"))))))
        .isEqualTo(200);
    assertThat(
            status(
                harness,
                TestRequest.get("/")
                    .principal(user("a", Map.of("tenant", "globex", "roles", List.of("admin"))))))
        .isEqualTo(403);
  }

  @Test
  void authenticatedRequiresAPrincipal() {
    FilterHarness harness = harness(allow("signed-in", Map.of("authenticated", true)));
    assertThat(status(harness, TestRequest.get("/"))).isEqualTo(403);
    assertThat(status(harness, TestRequest.get("/").principal(user("a", Map.of())))).isEqualTo(200);
  }

  @Test
  void clientAddressesMatchCidrBlocks() {
    FilterHarness harness =
        harness(allow("internal", Map.of("clientIps", List.of("10.0.0.0/8", "fd00::/8"))));
    assertThat(status(harness, TestRequest.get("/").clientAddress(address("10.1.2.3"))))
        .isEqualTo(200);
    assertThat(status(harness, TestRequest.get("/").clientAddress(address("fd00::5"))))
        .isEqualTo(200);
    assertThat(status(harness, TestRequest.get("/").clientAddress(address("192.168.0.1"))))
        .isEqualTo(403);
    // A forwarded-for header does not change who the peer is.
    assertThat(
            status(
                harness,
                TestRequest.get("/")
                    .clientAddress(address("192.168.0.1"))
                    .header("x-forwarded-for", "10.0.0.1")))
        .isEqualTo(403);
  }

  @Test
  void peerIdentitiesMatchExactlyOrByPrefix() {
    FilterHarness harness =
        harness(
            allow(
                "mesh",
                Map.of(
                    "peers",
                    List.of(
                        "spiffe://mesh.local/ns/default/sa/reviews",
                        "spiffe://mesh.local/ns/ops/*"))));
    assertThat(
            status(
                harness,
                TestRequest.get("/").peerIdentity("spiffe://mesh.local/ns/default/sa/reviews")))
        .isEqualTo(200);
    assertThat(
            status(harness, TestRequest.get("/").peerIdentity("spiffe://mesh.local/ns/ops/sa/x")))
        .isEqualTo(200);
    assertThat(
            status(
                harness,
                TestRequest.get("/").peerIdentity("spiffe://mesh.local/ns/default/sa/reviews2")))
        .isEqualTo(403);
    assertThat(status(harness, TestRequest.get("/"))).isEqualTo(403);
  }

  @Test
  void headerConditionsAllHoldAndSeeEveryValue() {
    FilterHarness harness =
        harness(
            allow(
                "beta",
                Map.of(
                    "headers",
                    List.of(
                        Map.of("name", "X-Env", "exact", "beta"),
                        Map.of("name", "x-debug", "present", false)))));
    assertThat(status(harness, TestRequest.get("/").header("x-env", "beta"))).isEqualTo(200);
    assertThat(status(harness, TestRequest.get("/").header("x-env", "beta").header("x-debug", "1")))
        .isEqualTo(403);
    // A second value does not sneak past an exact match.
    assertThat(
            status(harness, TestRequest.get("/").header("x-env", "prod").header("x-env", "beta")))
        .isEqualTo(403);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "/admin",
        "/admin/users",
        "//admin",
        "/public/../admin",
        "/public/%2e%2e/admin",
        "/public/%2E%2E/admin/users",
        "/public/.%2e/admin",
        "/./admin",
        "/%61dmin",
        "/%61%64%6d%69%6e/users",
        "/admin?debug=1",
        "/admin%2Fusers",
        "/public%2F..%2Fadmin",
        "/public/..%5Cadmin",
        "/ADMIN",
        "/Admin/users"
      })
  void encodedOrPaddedPathsCannotBypassADenyRule(String path) {
    FilterHarness harness =
        harness(
            allow("everyone", Map.of()),
            deny(
                "no-admin",
                Map.of("paths", List.of(Map.of("prefix", "/admin", "ignoreCase", true)))));
    assertThat(status(harness, TestRequest.get(path))).isEqualTo(403);
    assertThat(harness.upstream().attempts()).isZero();
    assertThat(status(harness, TestRequest.get("/administrators"))).isEqualTo(200);
    assertThat(status(harness, TestRequest.get("/public/admin"))).isEqualTo(200);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "/public/../admin",
        "/public/%2e%2e/admin",
        "/public//..//admin",
        "/public%2F..%2Fadmin"
      })
  void encodedPathsCannotEscapeAnAllowedPrefix(String path) {
    FilterHarness harness =
        harness(allow("public", Map.of("paths", List.of(Map.of("glob", "/public/**")))));
    assertThat(status(harness, TestRequest.get("/public/reviews/1"))).isEqualTo(200);
    assertThat(status(harness, TestRequest.get(path))).isEqualTo(403);
  }

  @Test
  void caseMattersUnlessIgnoreCaseIsSet() {
    FilterHarness harness =
        harness(
            allow("everyone", Map.of()),
            deny("exact", Map.of("paths", List.of(Map.of("exact", "/secret")))));
    assertThat(status(harness, TestRequest.get("/secret"))).isEqualTo(403);
    assertThat(status(harness, TestRequest.get("/%73ecret"))).isEqualTo(403);
    assertThat(status(harness, TestRequest.get("/SECRET"))).isEqualTo(200);
  }

  @Test
  void globsStayWithinSegmentsUnlessDoubled() {
    FilterHarness harness =
        harness(allow("comments", Map.of("paths", List.of(Map.of("glob", "/reviews/*/comments")))));
    assertThat(status(harness, TestRequest.get("/reviews/42/comments"))).isEqualTo(200);
    assertThat(status(harness, TestRequest.get("/reviews/42/x/comments"))).isEqualTo(403);
    assertThat(status(harness, TestRequest.get("/reviews/42/comments/1"))).isEqualTo(403);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "/files/a%2Fb",
        "/files/a%2fb",
        "/files/a%5Cb",
        "/files/a\\b",
        "/files/a%00",
        "/files/a%zz",
        "/files/a%2",
        "/files/a#b"
      })
  void pathsThatCannotBeNormalizedAreRefusedEvenWithOnlyDenyRules(String path) {
    FilterHarness harness = harness(deny("nothing", Map.of("methods", List.of("PATCH"))));
    TestResponse response = harness.send(TestRequest.get(path));
    assertThat(response.status()).isEqualTo(403);
    assertThat(response.bodyText()).contains("no normal form");
    assertThat(harness.metrics().count("denied", "policy", "path-not-normalizable")).isEqualTo(1);
  }

  @Test
  void shadowModeLetsRequestsThroughAndCountsWouldBeDenials() {
    FilterHarness harness =
        FilterHarness.builder()
            .add(
                new RbacFilterFactory(),
                Map.of(
                    "rules",
                    List.of(
                        deny("no-admin", Map.of("paths", List.of(Map.of("prefix", "/admin")))))),
                FilterMode.SHADOW)
            .build();
    TestResponse response = harness.send(TestRequest.get("/admin"));
    assertThat(response.status()).isEqualTo(200);
    assertThat(response.fromUpstream()).isTrue();
    assertThat(response.decision("rbac")).isEqualTo(TestResponse.Decision.SHADOW);
    assertThat(harness.metrics().count("shadow_denied", "policy", "no-admin")).isEqualTo(1);
    assertThat(harness.metrics().count("denied", "policy", "no-admin")).isZero();
    assertThat(status(harness, TestRequest.get("/reviews"))).isEqualTo(200);
    assertThat(harness.metrics().count("allowed", "policy", "default")).isEqualTo(1);
  }

  private static InetSocketAddress address(String ip) {
    return new InetSocketAddress(ip, 40000);
  }
}
