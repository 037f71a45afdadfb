package io.plugmesh.plugins.authnjwt;

import static io.plugmesh.plugins.authnjwt.TestKeys.AUDIENCE;
import static io.plugmesh.plugins.authnjwt.TestKeys.ED25519;
import static io.plugmesh.plugins.authnjwt.TestKeys.HMAC_512;
import static io.plugmesh.plugins.authnjwt.TestKeys.ISSUER;
import static io.plugmesh.plugins.authnjwt.TestKeys.NOW;
import static io.plugmesh.plugins.authnjwt.TestKeys.P256;
import static io.plugmesh.plugins.authnjwt.TestKeys.P384;
import static io.plugmesh.plugins.authnjwt.TestKeys.P521;
import static io.plugmesh.plugins.authnjwt.TestKeys.RSA;
import static io.plugmesh.plugins.authnjwt.TestKeys.claims;
import static io.plugmesh.plugins.authnjwt.TestKeys.inline;
import static io.plugmesh.plugins.authnjwt.TestKeys.sign;
import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import io.plugmesh.filters.ContextKeys;
import io.plugmesh.filters.advanced.Principal;
import io.plugmesh.filters.advanced.ResponseFlag;
import io.plugmesh.filters.testkit.FilterHarness;
import io.plugmesh.filters.testkit.TestRequest;
import io.plugmesh.filters.testkit.TestResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class AuthnJwtFilterTest {

  private static FilterHarness harness(Map<String, ?> config) {
    return FilterHarness.of(new AuthnJwtFilterFactory(), config);
  }

  private static Map<String, Object> with(Map<String, Object> config, Object... more) {
    Map<String, Object> out = new HashMap<>(config);
    for (int i = 0; i < more.length; i += 2) {
      out.put((String) more[i], more[i + 1]);
    }
    return out;
  }

  private static TestResponse send(FilterHarness harness, String token) {
    return harness.send(TestRequest.get("/reviews").header("authorization", "Bearer " + token));
  }

  private static void assertRefused(TestResponse response, String description) {
    assertThat(response.status()).isEqualTo(401);
    assertThat(response.fromUpstream()).isFalse();
    assertThat(response.header("www-authenticate"))
        .isEqualTo("Bearer error=\"invalid_token\", error_description=\"" + description + "\"");
    assertThat(response.responseFlags()).contains(ResponseFlag.UNAUTHORIZED);
    assertThat(response.context().get(ContextKeys.PRINCIPAL)).isEmpty();
  }

  static Stream<Arguments> algorithms() {
    return Stream.of(
        Arguments.of(JWSAlgorithm.RS256, RSA),
        Arguments.of(JWSAlgorithm.RS384, RSA),
        Arguments.of(JWSAlgorithm.RS512, RSA),
        Arguments.of(JWSAlgorithm.PS256, RSA),
        Arguments.of(JWSAlgorithm.PS384, RSA),
        Arguments.of(JWSAlgorithm.PS512, RSA),
        Arguments.of(JWSAlgorithm.ES256, P256),
        Arguments.of(JWSAlgorithm.ES384, P384),
        Arguments.of(JWSAlgorithm.ES512, P521),
        Arguments.of(JWSAlgorithm.EdDSA, ED25519),
        Arguments.of(JWSAlgorithm.Ed25519, ED25519),
        Arguments.of(JWSAlgorithm.HS256, HMAC_512),
        Arguments.of(JWSAlgorithm.HS384, HMAC_512),
        Arguments.of(JWSAlgorithm.HS512, HMAC_512));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("algorithms")
  void acceptsEachSupportedAlgorithmAndPutsThePrincipalInTheContext(JWSAlgorithm alg, JWK key) {
    FilterHarness harness = harness(inline(key));
    String token = sign(alg, key, claims().claim("roles", List.of("reader", "admin")).build());

    TestResponse response = send(harness, token);

    assertThat(response.status()).isEqualTo(200);
    assertThat(response.fromUpstream()).isTrue();
    Principal principal = response.context().get(ContextKeys.PRINCIPAL).orElseThrow();
    assertThat(principal.subject()).isEqualTo("alice");
    assertThat(principal.issuer()).isEqualTo(ISSUER);
    assertThat(principal.claimValues("roles")).containsExactly("reader", "admin");
    assertThat(response.upstreamRequests().get(0).header("authorization")).isNull();
    assertThat(harness.metrics().count("allowed", "issuer", ISSUER)).isEqualTo(1);
  }

  @Test
  void aSignatureByAnotherKeyOfTheSameKindIsRefused() {
    FilterHarness harness = harness(inline(RSA));
    JWK impostor = TestKeys.rsa(RSA.getKeyID()); // same kid, other key
    assertRefused(send(harness, sign(JWSAlgorithm.RS256, impostor)), "signature invalid");
    assertThat(harness.metrics().count("denied", "reason", "bad_signature")).isEqualTo(1);
    assertThat(harness.upstream().attempts()).isZero();
  }

  @Test
  void aTamperedPayloadIsRefused() {
    FilterHarness harness = harness(inline(RSA));
    String token = sign(JWSAlgorithm.RS256, RSA);
    String[] parts = token.split("\\.");
    String forged =
        Base64URL.encode(
                claims().subject("mallory").build().toString().getBytes(StandardCharsets.UTF_8))
            .toString();
    assertRefused(send(harness, parts[0] + "." + forged + "." + parts[2]), "signature invalid");
  }

  @Test
  void hmacSignedWithThePublicRsaKeyIsRefusedAsAnAlgorithmMismatch() throws Exception {
    FilterHarness harness = harness(inline(RSA));
    // The classic confusion attack: the RSA public key's bytes used as an HMAC secret.
    byte[] publicBytes = RSA.toPublicJWK().toRSAPublicKey().getEncoded();
    SignedJWT jwt =
        new SignedJWT(
            new JWSHeader.Builder(JWSAlgorithm.HS256).keyID(RSA.getKeyID()).build(),
            claims().build());
    jwt.sign(new MACSigner(publicBytes));
    assertRefused(send(harness, jwt.serialize()), "token algorithm does not match the key");
    assertThat(harness.metrics().count("denied", "reason", "alg_mismatch")).isEqualTo(1);
  }

  @Test
  void anEcTokenOnAnotherCurveOrARsaTokenForAnEcKeyIsRefused() {
    FilterHarness harness = harness(inline(P256));
    assertRefused(send(harness, sign(JWSAlgorithm.ES384, P384)), "unknown key id");
    // ES384 naming the P-256 key: the curve pins ES256.
    String mismatched =
        sign(
            new JWSHeader.Builder(JWSAlgorithm.ES384).keyID(P256.getKeyID()).build(),
            P384,
            claims().build());
    assertRefused(send(harness, mismatched), "token algorithm does not match the key");
  }

  @Test
  void aKeyThatNamesItsAlgorithmAcceptsOnlyThatAlgorithm() throws Exception {
    JWK pinned =
        new com.nimbusds.jose.jwk.RSAKey.Builder(RSA).algorithm(JWSAlgorithm.RS256).build();
    FilterHarness harness = harness(inline(pinned));
    assertThat(send(harness, sign(JWSAlgorithm.RS256, RSA)).status()).isEqualTo(200);
    assertRefused(
        send(harness, sign(JWSAlgorithm.PS256, RSA)), "token algorithm does not match the key");
  }

  @Test
  void algNoneIsRefused() {
    FilterHarness harness = harness(inline(RSA));
    String unsecured = new PlainJWT(claims().build()).serialize();
    assertRefused(send(harness, unsecured), "unsecured token (alg none) not accepted");
    // Also with a fake signature part appended.
    assertRefused(send(harness, unsecured + "c2ln"), "unsecured token (alg none) not accepted");
    assertThat(harness.metrics().count("denied", "reason", "alg_none")).isEqualTo(2);
  }

  @Test
  void anUnsupportedAlgorithmIsRefused() {
    FilterHarness harness = harness(inline(RSA));
    String header = Base64URL.encode("{\"alg\":\"RS1\",\"kid\":\"rsa-1\"}").toString();
    String payload = Base64URL.encode(claims().build().toString()).toString();
    assertRefused(send(harness, header + "." + payload + ".c2ln"), "token algorithm not supported");
  }

  @Test
  void anUnknownCriticalHeaderIsRefused() {
    FilterHarness harness = harness(inline(RSA));
    String token =
        sign(
            new JWSHeader.Builder(JWSAlgorithm.RS256)
                .keyID(RSA.getKeyID())
                .criticalParams(java.util.Set.of("x-policy"))
                .customParam("x-policy", "strict")
                .build(),
            RSA,
            claims().build());
    assertRefused(send(harness, token), "critical header parameter not supported");
  }

  @Test
  void aTokenNamingAnAbsentKeyIsRefused() {
    FilterHarness harness = harness(inline(RSA));
    assertRefused(send(harness, sign(JWSAlgorithm.RS256, TestKeys.RSA_2)), "unknown key id");
    assertThat(harness.metrics().count("denied", "reason", "unknown_kid")).isEqualTo(1);
  }

  @Test
  void aTokenWithoutKidIsCheckedAgainstTheFittingKeys() {
    FilterHarness harness = harness(inline(TestKeys.RSA_2, RSA, P256));
    String token = sign(new JWSHeader.Builder(JWSAlgorithm.RS256).build(), RSA, claims().build());
    assertThat(send(harness, token).status()).isEqualTo(200);
  }

  @Test
  void expiredAndNotYetValidTokensAreRefusedBeyondTheClockSkew() {
    FilterHarness harness = harness(inline(RSA));
    String expiredWithinSkew =
        sign(JWSAlgorithm.RS256, RSA, claims().expirationTime(at(-30)).build());
    String expired = sign(JWSAlgorithm.RS256, RSA, claims().expirationTime(at(-90)).build());
    String early = sign(JWSAlgorithm.RS256, RSA, claims().notBeforeTime(at(90)).build());
    String earlyWithinSkew = sign(JWSAlgorithm.RS256, RSA, claims().notBeforeTime(at(30)).build());
    String future = sign(JWSAlgorithm.RS256, RSA, claims().issueTime(at(120)).build());

    assertThat(send(harness, expiredWithinSkew).status()).isEqualTo(200);
    assertRefused(send(harness, expired), "token expired");
    assertRefused(send(harness, early), "token not yet valid");
    assertThat(send(harness, earlyWithinSkew).status()).isEqualTo(200);
    assertRefused(send(harness, future), "token issued in the future");
    assertThat(harness.metrics().count("denied", "reason", "expired")).isEqualTo(1);
    assertThat(harness.metrics().count("denied", "reason", "not_yet_valid")).isEqualTo(1);
  }

  @Test
  void theClockSkewIsConfigurable() {
    FilterHarness harness = harness(with(inline(RSA), "clockSkew", "0s"));
    assertRefused(
        send(harness, sign(JWSAlgorithm.RS256, RSA, claims().expirationTime(at(-1)).build())),
        "token expired");
  }

  @Test
  void tokensExpireAsVirtualTimePasses() {
    FilterHarness harness = harness(inline(RSA));
    String token = sign(JWSAlgorithm.RS256, RSA); // exp = now + 5m
    assertThat(send(harness, token).status()).isEqualTo(200);
    harness.advance(Duration.ofMinutes(6).plusSeconds(1));
    assertRefused(send(harness, token), "token expired");
  }

  @Test
  void expirationIsRequiredUnlessTurnedOff() {
    JWTClaimsSet noExp = new JWTClaimsSet.Builder(claims().build()).expirationTime(null).build();
    assertRefused(
        send(harness(inline(RSA)), sign(JWSAlgorithm.RS256, RSA, noExp)),
        "token has no expiration");
    assertThat(
            send(
                    harness(with(inline(RSA), "requireExpiration", false)),
                    sign(JWSAlgorithm.RS256, RSA, noExp))
                .status())
        .isEqualTo(200);
  }

  @Test
  void maxLifetimeBoundsExpMinusIat() {
    FilterHarness harness = harness(with(inline(RSA), "maxLifetime", "10m"));
    assertThat(send(harness, sign(JWSAlgorithm.RS256, RSA)).status()).isEqualTo(200);
    String longLived = sign(JWSAlgorithm.RS256, RSA, claims().expirationTime(at(3600)).build());
    assertRefused(send(harness, longLived), "token lifetime too long");
  }

  @Test
  void issuerAndAudienceAreChecked() {
    FilterHarness harness = harness(inline(RSA));
    assertRefused(
        send(harness, sign(JWSAlgorithm.RS256, RSA, claims().issuer("https://evil.test").build())),
        "issuer not accepted");
    assertRefused(
        send(harness, sign(JWSAlgorithm.RS256, RSA, claims().audience("payments").build())),
        "audience not accepted");
    assertThat(
            send(
                    harness,
                    sign(
                        JWSAlgorithm.RS256,
                        RSA,
                        claims().audience(List.of("payments", AUDIENCE)).build()))
                .status())
        .isEqualTo(200);
    assertThat(harness.metrics().count("denied", "reason", "wrong_issuer")).isEqualTo(1);
    assertThat(harness.metrics().count("denied", "reason", "wrong_audience")).isEqualTo(1);
  }

  @Test
  void aWrongAudienceCanAnswer403() {
    FilterHarness harness = harness(with(inline(RSA), "audienceFailureStatus", 403));
    TestResponse response =
        send(harness, sign(JWSAlgorithm.RS256, RSA, claims().audience("payments").build()));
    assertThat(response.status()).isEqualTo(403);
    assertThat(response.header("www-authenticate")).contains("audience not accepted");
    // Other failures stay 401.
    assertThat(
            send(harness, sign(JWSAlgorithm.RS256, RSA, claims().expirationTime(at(-300)).build()))
                .status())
        .isEqualTo(401);
  }

  @Test
  void requiredClaimsMustHoldOneOfTheirValues() {
    FilterHarness harness =
        harness(
            with(
                inline(RSA),
                "requiredClaims",
                Map.of("tenant", "acme", "scope", List.of("reviews.read", "reviews.admin"))));
    String good =
        sign(
            JWSAlgorithm.RS256,
            RSA,
            claims().claim("tenant", "acme").claim("scope", "openid reviews.read").build());
    String otherTenant =
        sign(
            JWSAlgorithm.RS256,
            RSA,
            claims().claim("tenant", "globex").claim("scope", "reviews.read").build());
    String noScope = sign(JWSAlgorithm.RS256, RSA, claims().claim("tenant", "acme").build());
    assertThat(send(harness, good).status()).isEqualTo(200);
    assertRefused(send(harness, otherTenant), "required claim missing or not accepted");
    assertRefused(send(harness, noScope), "required claim missing or not accepted");
  }

  @Test
  void aMissingTokenGetsABareChallengeUnlessMissingIsAllowed() {
    TestResponse response = harness(inline(RSA)).send(TestRequest.get("/reviews"));
    assertThat(response.status()).isEqualTo(401);
    assertThat(response.header("www-authenticate")).isEqualTo("Bearer");

    FilterHarness lenient = harness(with(inline(RSA), "allowMissing", true));
    TestResponse passed = lenient.send(TestRequest.get("/reviews"));
    assertThat(passed.status()).isEqualTo(200);
    assertThat(passed.context().get(ContextKeys.PRINCIPAL)).isEmpty();
    assertThat(lenient.metrics().count("missing_allowed")).isEqualTo(1);
    // A token that is present must still be valid.
    assertRefused(
        send(lenient, sign(JWSAlgorithm.RS256, RSA, claims().expirationTime(at(-300)).build())),
        "token expired");
  }

  @Test
  void otherAuthorizationSchemesAreNotTokens() {
    TestResponse response =
        harness(inline(RSA))
            .send(TestRequest.get("/").header("authorization", "Basic YWxpY2U6c2VjcmV0"));
    assertThat(response.status()).isEqualTo(401);
    assertThat(response.header("www-authenticate")).isEqualTo("Bearer");
    // The scheme is case-insensitive.
    assertThat(
            harness(inline(RSA))
                .send(
                    TestRequest.get("/")
                        .header("authorization", "bearer " + sign(JWSAlgorithm.RS256, RSA)))
                .status())
        .isEqualTo(200);
  }

  @Test
  void oversizedMalformedAndDeeplyNestedTokensAreRefused() {
    FilterHarness harness = harness(with(inline(RSA), "maxTokenBytes", 1024));
    String big = sign(JWSAlgorithm.RS256, RSA, claims().claim("padding", "x".repeat(2000)).build());
    assertRefused(send(harness, big), "token too large");
    assertRefused(send(harness, "not-a-jwt"), "token malformed");
    assertRefused(send(harness, "a.b.c.d.e"), "token malformed");
    assertRefused(send(harness, "eyJhbGciOiJSUzI1NiJ9.e30.c2ln!"), "token malformed");

    Object nested = "leaf";
    for (int i = 0; i < TokenParser.MAX_JSON_DEPTH; i++) {
      nested = Map.of("n", nested);
    }
    String deep = sign(JWSAlgorithm.RS256, RSA, claims().claim("deep", nested).build());
    assertRefused(send(harness(inline(RSA)), deep), "token nested too deeply");
    assertThat(harness.metrics().count("denied", "reason", "too_large")).isEqualTo(1);
  }

  @Test
  void twoBearerTokensAreAmbiguous() {
    String token = sign(JWSAlgorithm.RS256, RSA);
    TestResponse response =
        harness(inline(RSA))
            .send(
                TestRequest.get("/")
                    .header("authorization", "Bearer " + token)
                    .header("authorization", "Bearer " + token));
    assertRefused(response, "more than one token");
  }

  @Test
  void claimsGoToHeadersAndSpoofedCopiesAreAlwaysRemoved() {
    Map<String, Object> config =
        with(
            inline(RSA),
            "allowMissing",
            true,
            "claimsToHeaders",
            List.of(
                Map.of("claim", "sub", "header", "x-user"),
                Map.of("claim", "roles", "header", "X-Roles"),
                Map.of("claim", "tenant", "header", "x-tenant")));
    FilterHarness harness = harness(config);
    String token =
        sign(JWSAlgorithm.RS256, RSA, claims().claim("roles", List.of("reader", "admin")).build());

    TestResponse authenticated =
        harness.send(
            TestRequest.get("/")
                .header("authorization", "Bearer " + token)
                .header("x-user", "root")
                .header("x-tenant", "spoofed"));
    assertThat(authenticated.status()).isEqualTo(200);
    var seen = authenticated.upstreamRequests().get(0);
    assertThat(seen.headers().getAll("x-user")).containsExactly("alice");
    assertThat(seen.headers().getAll("x-roles")).containsExactly("reader,admin");
    assertThat(seen.headers().getAll("x-tenant")).isEmpty(); // no such claim: spoofed copy gone

    TestResponse anonymous =
        harness.send(TestRequest.get("/").header("x-user", "root").header("X-Roles", "admin"));
    assertThat(anonymous.status()).isEqualTo(200);
    assertThat(anonymous.upstreamRequests().get(0).header("x-user")).isNull();
    assertThat(anonymous.upstreamRequests().get(0).header("x-roles")).isNull();

    TestResponse refused =
        harness.send(
            TestRequest.get("/").header("authorization", "Bearer bad").header("x-user", "root"));
    assertThat(refused.status()).isEqualTo(401);
  }

  @Test
  void claimValuesThatCannotBeHeadersAreLeftOut() {
    FilterHarness harness =
        harness(
            with(
                inline(RSA),
                "claimsToHeaders",
                List.of(Map.of("claim", "name", "header", "x-name"))));
    String token =
        sign(JWSAlgorithm.RS256, RSA, claims().claim("name", "alice\r\nx-admin: true").build());
    TestResponse response = send(harness, token);
    assertThat(response.status()).isEqualTo(200);
    assertThat(response.upstreamRequests().get(0).header("x-name")).isNull();
    assertThat(harness.metrics().count("claim_headers_skipped")).isEqualTo(1);
  }

  @Test
  void theTokenIsForwardedOnlyWhenConfigured() {
    String token = sign(JWSAlgorithm.RS256, RSA);
    FilterHarness forwarding = harness(with(inline(RSA), "forward", true));
    assertThat(send(forwarding, token).upstreamRequests().get(0).header("authorization"))
        .isEqualTo("Bearer " + token);
  }

  @Test
  void tokensComeFromAConfiguredHeaderCookieOrQueryParameterAndAreStripped() {
    String token = sign(JWSAlgorithm.RS256, RSA);
    FilterHarness harness =
        harness(
            with(
                inline(RSA),
                "fromHeaders",
                List.of(Map.of("name", "X-Jwt")),
                "fromCookies",
                List.of("session"),
                "fromParams",
                List.of("access_token")));

    TestResponse byHeader = harness.send(TestRequest.get("/a").header("x-jwt", token));
    assertThat(byHeader.status()).isEqualTo(200);
    assertThat(byHeader.upstreamRequests().get(0).header("x-jwt")).isNull();

    TestResponse byCookie =
        harness.send(TestRequest.get("/b").header("cookie", "theme=dark; session=" + token));
    assertThat(byCookie.status()).isEqualTo(200);
    assertThat(byCookie.upstreamRequests().get(0).header("cookie")).isEqualTo("theme=dark");

    TestResponse byQuery = harness.send(TestRequest.get("/c?page=2&access_token=" + token));
    assertThat(byQuery.status()).isEqualTo(200);
    assertThat(byQuery.upstreamRequests().get(0).path()).isEqualTo("/c?page=2");

    // Authorization is not a configured location here.
    assertThat(send(harness, token).status()).isEqualTo(401);
  }

  private static Map<String, Object> headerCookieAndParam() {
    return with(
        inline(RSA),
        "fromHeaders",
        List.of(Map.of("name", "authorization", "prefix", "Bearer ")),
        "fromCookies",
        List.of("session"),
        "fromParams",
        List.of("access_token"));
  }

  @Test
  void differentTokensInTwoLocationsAreRefused() {
    FilterHarness harness = harness(headerCookieAndParam());
    String valid = sign(JWSAlgorithm.RS256, RSA);
    String other = sign(JWSAlgorithm.RS256, RSA, claims().subject("mallory").build());

    // A valid token in Authorization does not vouch for another one in the query.
    TestResponse headerAndQuery =
        harness.send(
            TestRequest.get("/reviews?access_token=" + other)
                .header("authorization", "Bearer " + valid));
    assertRefused(
        headerAndQuery,
        "different tokens in more than one location:"
            + " header authorization and query parameter access_token");
    assertThat(headerAndQuery.bodyText())
        .isEqualTo(
            "unauthorized: different tokens in more than one location:"
                + " header authorization and query parameter access_token\n");

    // Nor the other way round, nor with garbage next to it, nor in a cookie.
    assertRefused(
        harness.send(
            TestRequest.get("/reviews?access_token=" + valid)
                .header("authorization", "Bearer not-a-token")),
        "different tokens in more than one location:"
            + " header authorization and query parameter access_token");
    assertRefused(
        harness.send(
            TestRequest.get("/reviews")
                .header("authorization", "Bearer " + valid)
                .header("cookie", "session=" + other)),
        "different tokens in more than one location: header authorization and cookie session");

    assertThat(harness.metrics().count("denied", "reason", "several_locations")).isEqualTo(3);
    assertThat(harness.metrics().count("allowed", "issuer", ISSUER)).isZero();
    assertThat(harness.upstream().attempts()).isZero();
  }

  @Test
  void theSameTokenInTwoLocationsIsOneCredentialStrippedFromBoth() {
    FilterHarness harness = harness(headerCookieAndParam());
    String token = sign(JWSAlgorithm.RS256, RSA);

    TestResponse response =
        harness.send(
            TestRequest.get("/reviews?page=2&access_token=" + token)
                .header("authorization", "Bearer " + token)
                .header("cookie", "theme=dark; session=" + token));

    assertThat(response.status()).isEqualTo(200);
    var seen = response.upstreamRequests().get(0);
    assertThat(seen.header("authorization")).isNull();
    assertThat(seen.header("cookie")).isEqualTo("theme=dark");
    assertThat(seen.path()).isEqualTo("/reviews?page=2");
  }

  @Test
  void withoutPinnedAlgorithmsAKeyWithoutAlgAcceptsEveryAlgorithmOfItsType() {
    // The default: an RSA key that states no alg verifies RS* and PS* alike.
    FilterHarness harness = harness(inline(RSA));
    assertThat(send(harness, sign(JWSAlgorithm.RS256, RSA)).status()).isEqualTo(200);
    assertThat(send(harness, sign(JWSAlgorithm.PS256, RSA)).status()).isEqualTo(200);
  }

  @Test
  void pinnedAlgorithmsRefuseEveryOtherAlgorithm() {
    FilterHarness harness = harness(with(inline(RSA), "algorithms", List.of("RS256")));
    assertThat(send(harness, sign(JWSAlgorithm.RS256, RSA)).status()).isEqualTo(200);
    for (JWSAlgorithm other :
        List.of(JWSAlgorithm.PS256, JWSAlgorithm.RS384, JWSAlgorithm.RS512, JWSAlgorithm.PS512)) {
      assertRefused(send(harness, sign(other, RSA)), "token algorithm not allowed for this issuer");
    }
    // Checked before the key: a token naming an unknown key causes no refetch.
    assertRefused(
        send(harness, sign(JWSAlgorithm.ES256, P256)),
        "token algorithm not allowed for this issuer");
    assertThat(harness.metrics().count("denied", "reason", "alg_not_allowed")).isEqualTo(5);
    assertThat(harness.metrics().count("allowed", "issuer", ISSUER)).isEqualTo(1);
  }

  @Test
  void algorithmsArePinnedPerProvider() {
    OctetSequenceKey partnerKey = TestKeys.hmac(512, "partner");
    Map<String, Object> config =
        Map.of(
            "providers",
            List.of(
                Map.of(
                    "issuer",
                    ISSUER,
                    "jwks",
                    TestKeys.jwks(RSA),
                    "algorithms",
                    List.of("PS256", "PS384")),
                Map.of("issuer", "https://partner.test", "jwks", TestKeys.jwks(partnerKey))));
    FilterHarness harness = harness(config);
    assertThat(send(harness, sign(JWSAlgorithm.PS384, RSA)).status()).isEqualTo(200);
    assertRefused(
        send(harness, sign(JWSAlgorithm.RS256, RSA)),
        "token algorithm not allowed for this issuer");
    // the partner pins nothing: every HS algorithm its key is long enough for
    for (JWSAlgorithm alg : List.of(JWSAlgorithm.HS256, JWSAlgorithm.HS512)) {
      String partner = sign(alg, partnerKey, claims().issuer("https://partner.test").build());
      assertThat(send(harness, partner).status()).isEqualTo(200);
    }
  }

  @Test
  void severalProvidersAreChosenByIssuer() {
    OctetSequenceKey partnerKey = TestKeys.hmac(256, "partner");
    Map<String, Object> config =
        Map.of(
            "providers",
            List.of(
                Map.of(
                    "issuer", ISSUER, "audiences", List.of(AUDIENCE), "jwks", TestKeys.jwks(RSA)),
                Map.of("issuer", "https://partner.test", "jwks", TestKeys.jwks(partnerKey))));
    FilterHarness harness = harness(config);
    String partner =
        sign(
            JWSAlgorithm.HS256,
            partnerKey,
            claims().issuer("https://partner.test").audience("anything").build());
    assertThat(send(harness, sign(JWSAlgorithm.RS256, RSA)).status()).isEqualTo(200);
    TestResponse response = send(harness, partner);
    assertThat(response.status()).isEqualTo(200);
    assertThat(response.context().get(ContextKeys.PRINCIPAL).orElseThrow().issuer())
        .isEqualTo("https://partner.test");
    // The partner's key does not vouch for the main issuer.
    assertRefused(
        send(harness, sign(JWSAlgorithm.HS256, partnerKey, claims().build())), "unknown key id");
  }

  @Test
  void aTokenTypedOtherwiseIsStillChecked() {
    // typ is informational; the signature decides.
    String token =
        sign(
            new JWSHeader.Builder(JWSAlgorithm.RS256)
                .keyID(RSA.getKeyID())
                .type(new JOSEObjectType("at+jwt"))
                .build(),
            RSA,
            claims().build());
    assertThat(send(harness(inline(RSA)), token).status()).isEqualTo(200);
  }

  private static Date at(long secondsFromNow) {
    return Date.from(NOW.plusSeconds(secondsFromNow));
  }
}
