package io.plugmesh.plugins.authnjwt;

import static io.plugmesh.plugins.authnjwt.TestKeys.AUDIENCE;
import static io.plugmesh.plugins.authnjwt.TestKeys.ISSUER;
import static io.plugmesh.plugins.authnjwt.TestKeys.RSA;
import static io.plugmesh.plugins.authnjwt.TestKeys.RSA_2;
import static io.plugmesh.plugins.authnjwt.TestKeys.jwks;
import static io.plugmesh.plugins.authnjwt.TestKeys.sign;
import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import io.plugmesh.filters.testkit.FilterHarness;
import io.plugmesh.filters.testkit.TestRequest;
import io.plugmesh.filters.testkit.TestResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** JWKS fetching, caching, rotation and outages, on virtual time with a scripted endpoint. */
class JwksCacheTest {
  private static final String URI = "https://idp.test/jwks.json";

  private final FakeJwks endpoint = new FakeJwks(jwks(RSA));

  private FilterHarness harness(Object... more) {
    Map<String, Object> config =
        new java.util.HashMap<>(
            Map.of("issuer", ISSUER, "audiences", List.of(AUDIENCE), "jwksUri", URI));
    for (int i = 0; i < more.length; i += 2) {
      config.put((String) more[i], more[i + 1]);
    }
    return FilterHarness.of(new AuthnJwtFilterFactory(services -> endpoint), config);
  }

  private static TestRequest request(String token) {
    return TestRequest.get("/").header("authorization", "Bearer " + token);
  }

  @Test
  void keysArePrefetchedWhenTheFilterIsCreated() {
    FilterHarness harness = harness();
    assertThat(endpoint.fetches()).isEqualTo(1);
    assertThat(harness.send(request(sign(JWSAlgorithm.RS256, RSA))).status()).isEqualTo(200);
    assertThat(harness.send(request(sign(JWSAlgorithm.RS256, RSA))).status()).isEqualTo(200);
    assertThat(endpoint.fetches()).isEqualTo(1);
    assertThat(harness.metrics().count("jwks_fetches", "issuer", ISSUER, "result", "success"))
        .isEqualTo(1);
  }

  @Test
  void aRequestBeforeTheFirstFetchEndsWaitsForIt() {
    endpoint.hold();
    FilterHarness harness = harness();
    CompletableFuture<TestResponse> pending =
        harness.sendAsync(request(sign(JWSAlgorithm.RS256, RSA)));
    assertThat(pending).isNotDone();
    endpoint.release();
    assertThat(harness.await(pending).status()).isEqualTo(200);
    assertThat(endpoint.fetches()).isEqualTo(1);
  }

  @Test
  void aFetchThatTimesOutLeavesNoKeysAndRefuses() {
    endpoint.hold();
    FilterHarness harness = harness("jwksFetchTimeout", "2s");
    CompletableFuture<TestResponse> pending =
        harness.sendAsync(request(sign(JWSAlgorithm.RS256, RSA)));
    harness.advance(Duration.ofSeconds(2));
    TestResponse response = harness.await(pending);
    assertThat(response.status()).isEqualTo(401);
    assertThat(response.header("www-authenticate")).contains("signing keys unavailable");
    assertThat(harness.metrics().count("jwks_fetches", "issuer", ISSUER, "result", "failure"))
        .isEqualTo(1);
  }

  @Test
  void keysAreRefreshedInTheBackgroundBeforeTheyExpire() {
    FilterHarness harness = harness("jwksCacheDuration", "10m");
    assertThat(endpoint.fetches()).isEqualTo(1);
    harness.advance(Duration.ofMinutes(7));
    assertThat(endpoint.fetches()).isEqualTo(1);
    harness.advance(Duration.ofMinutes(1)); // 80 % of 10m
    assertThat(endpoint.fetches()).isEqualTo(2);
    harness.advance(Duration.ofMinutes(8));
    assertThat(endpoint.fetches()).isEqualTo(3);
  }

  @Test
  void rotationIsPickedUpByTheBackgroundRefresh() {
    FilterHarness harness = harness("jwksCacheDuration", "10m", "jwksRefetchInterval", "1h");
    String oldToken = TestKeys.longLived(JWSAlgorithm.RS256, RSA);
    String newToken = TestKeys.longLived(JWSAlgorithm.RS256, RSA_2);
    harness.send(request(newToken)); // uses up the unknown-kid refetch allowance
    endpoint.serve(jwks(RSA_2));
    assertThat(harness.send(request(newToken)).status()).isEqualTo(401); // rate limited
    harness.advance(Duration.ofMinutes(8));
    assertThat(harness.send(request(newToken)).status()).isEqualTo(200);
    assertThat(harness.send(request(oldToken)).status()).isEqualTo(401);
  }

  @Test
  void anUnknownKidTriggersOneRefetchThenTheRateLimitHolds() {
    FilterHarness harness = harness("jwksRefetchInterval", "30s");
    endpoint.serve(jwks(RSA, RSA_2)); // the IdP rotated in a new key
    assertThat(harness.send(request(sign(JWSAlgorithm.RS256, RSA_2))).status()).isEqualTo(200);
    assertThat(endpoint.fetches()).isEqualTo(2);

    String stranger = sign(JWSAlgorithm.RS256, TestKeys.rsa("never-published"));
    assertThat(harness.send(request(stranger)).status()).isEqualTo(401); // refetched, still absent
    assertThat(endpoint.fetches()).isEqualTo(2); // within 30s of the last fetch: not again
    assertThat(harness.metrics().count("jwks_refetches_limited", "issuer", ISSUER)).isEqualTo(1);
    harness.advance(Duration.ofSeconds(31));
    TestResponse again = harness.send(request(stranger));
    assertThat(again.status()).isEqualTo(401);
    assertThat(again.header("www-authenticate")).contains("unknown key id");
    assertThat(endpoint.fetches()).isEqualTo(3);
  }

  @Test
  void concurrentUnknownKidsShareOneFetch() {
    FilterHarness harness = harness("jwksRefetchInterval", "0s");
    endpoint.serve(jwks(RSA, RSA_2));
    endpoint.hold();
    String token = sign(JWSAlgorithm.RS256, RSA_2);
    List<CompletableFuture<TestResponse>> pending =
        List.of(
            harness.sendAsync(request(token)),
            harness.sendAsync(request(token)),
            harness.sendAsync(request(token)));
    assertThat(endpoint.held()).isEqualTo(1);
    endpoint.release();
    for (CompletableFuture<TestResponse> response : pending) {
      assertThat(harness.await(response).status()).isEqualTo(200);
    }
    assertThat(endpoint.fetches()).isEqualTo(2);
  }

  @Test
  void theLastGoodKeysAreServedWhileTheEndpointIsDown() {
    FilterHarness harness = harness("jwksCacheDuration", "10m");
    String token =
        sign(
            JWSAlgorithm.RS256,
            RSA,
            TestKeys.claims()
                .expirationTime(java.util.Date.from(TestKeys.NOW.plus(Duration.ofHours(2))))
                .build());
    endpoint.down();
    harness.advance(Duration.ofMinutes(30)); // refreshes fail, keys are long past their freshness
    assertThat(endpoint.fetches()).isGreaterThan(2);
    assertThat(harness.send(request(token)).status()).isEqualTo(200);
    assertThat(harness.metrics().count("jwks_fetches", "issuer", ISSUER, "result", "failure"))
        .isEqualTo(endpoint.fetches() - 1);
    assertThat(harness.logs()).anyMatch(e -> e.message().contains("serving the last good keys"));
  }

  @Test
  void retriesBackOffWhileTheEndpointIsDown() {
    FilterHarness harness = harness("jwksCacheDuration", "1h");
    endpoint.down();
    harness.advance(Duration.ofMinutes(48)); // the refresh at 80 % fails
    assertThat(endpoint.fetches()).isEqualTo(2);
    harness.advance(Duration.ofSeconds(1));
    assertThat(endpoint.fetches()).isEqualTo(3);
    harness.advance(Duration.ofSeconds(1));
    assertThat(endpoint.fetches()).isEqualTo(3);
    harness.advance(Duration.ofSeconds(1));
    assertThat(endpoint.fetches()).isEqualTo(4);
    endpoint.serve(jwks(RSA));
    harness.advance(Duration.ofSeconds(4));
    assertThat(endpoint.fetches()).isEqualTo(5);
    harness.advance(Duration.ofMinutes(47));
    assertThat(endpoint.fetches()).isEqualTo(5); // back to the normal refresh period
    assertThat(JwksCache.retryDelay(30)).isEqualTo(JwksCache.MAX_RETRY);
  }

  @Test
  void aBrokenDocumentCountsAsAFailureAndKeepsTheOldKeys() {
    FilterHarness harness = harness("jwksCacheDuration", "10m");
    endpoint.serve("{\"keys\": \"not a list\"}");
    harness.advance(Duration.ofMinutes(8));
    assertThat(endpoint.fetches()).isEqualTo(2);
    assertThat(harness.send(request(TestKeys.longLived(JWSAlgorithm.RS256, RSA))).status())
        .isEqualTo(200);
    assertThat(harness.metrics().count("jwks_fetches", "issuer", ISSUER, "result", "failure"))
        .isEqualTo(1);
  }

  @Test
  void symmetricKeysPublishedAtAUrlAreIgnored() {
    var secret = TestKeys.hmac(256, "hs");
    endpoint.serve(jwks(secret, RSA));
    FilterHarness harness = harness();
    assertThat(harness.send(request(sign(JWSAlgorithm.HS256, secret))).status()).isEqualTo(401);
    assertThat(harness.send(request(sign(JWSAlgorithm.RS256, RSA))).status()).isEqualTo(200);
  }

  @Test
  void oneCacheServesEveryRouteAndConfigVersionOfAUri() {
    FilterHarness harness =
        FilterHarness.builder()
            .add(
                new AuthnJwtFilterFactory(services -> endpoint),
                Map.of("issuer", ISSUER, "jwksUri", URI))
            .build();
    var services = harness.services(AuthnJwtFilterFactory.NAME);
    var factory = new AuthnJwtFilterFactory(s -> endpoint);
    var config =
        factory.parseConfig(
            io.plugmesh.filters.ConfigNode.of(Map.of("issuer", ISSUER, "jwksUri", URI)));
    factory.create(config, services); // a second route, or the next config version
    assertThat(endpoint.fetches()).isEqualTo(1);
  }
}
