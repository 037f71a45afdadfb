package io.plugmesh.plugins.authnjwt;

import static io.plugmesh.plugins.authnjwt.TestKeys.ISSUER;
import static io.plugmesh.plugins.authnjwt.TestKeys.RSA;
import static io.plugmesh.plugins.authnjwt.TestKeys.jwks;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.JSONObjectUtils;
import io.plugmesh.filters.ConfigException;
import io.plugmesh.filters.ConfigNode;
import io.plugmesh.filters.testkit.FilterHarness;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AuthnJwtConfigTest {
  private final AuthnJwtFilterFactory factory = new AuthnJwtFilterFactory(s -> new FakeJwks(""));

  private AuthnJwtConfig parse(Map<String, ?> config) {
    return factory.parseConfig(ConfigNode.of(config));
  }

  private static void assertRejected(Map<String, ?> config, String field, String text) {
    assertThatThrownBy(() -> FilterHarness.of(new AuthnJwtFilterFactory(), config))
        .isInstanceOf(ConfigException.class)
        .satisfies(e -> assertThat(((ConfigException) e).field()).isEqualTo(field))
        .hasMessageContaining(text);
  }

  @Test
  void theShorthandHasSafeDefaults() {
    AuthnJwtConfig config =
        parse(Map.of("issuer", ISSUER, "jwksUri", "https://idp.test/jwks.json"));
    assertThat(config.providers()).hasSize(1);
    ProviderConfig provider = config.providers().get(0);
    assertThat(provider.jwksUri()).isEqualTo(URI.create("https://idp.test/jwks.json"));
    assertThat(provider.clockSkew()).isEqualTo(Duration.ofSeconds(60));
    assertThat(provider.requireExpiration()).isTrue();
    assertThat(provider.maxLifetime()).isNull();
    assertThat(provider.jwksCacheDuration()).isEqualTo(Duration.ofMinutes(10));
    assertThat(provider.jwksFetchTimeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(provider.jwksRefetchInterval()).isEqualTo(Duration.ofSeconds(10));
    assertThat(config.sources()).containsExactly(TokenSource.BEARER);
    assertThat(config.forward()).isFalse();
    assertThat(config.allowMissing()).isFalse();
    assertThat(config.audienceFailureStatus()).isEqualTo(401);
    assertThat(config.maxTokenBytes()).isEqualTo(AuthnJwtConfig.DEFAULT_MAX_TOKEN_BYTES);
  }

  @Test
  void inlineKeysMayBeAnObjectOrText() throws Exception {
    Map<String, Object> asObject = JSONObjectUtils.parse(jwks(RSA));
    assertThat(parse(Map.of("issuer", ISSUER, "jwks", asObject)).providers().get(0).inlineKeys())
        .isNotNull();
    Map<String, Object> singleKey = JSONObjectUtils.parse(RSA.toPublicJWK().toJSONString());
    assertThat(
            parse(Map.of("issuer", ISSUER, "jwks", singleKey))
                .providers()
                .get(0)
                .inlineKeys()
                .keys())
        .hasSize(1);
  }

  @Test
  void schemaErrorsNameTheField() {
    assertRejected(Map.of("issuer", ISSUER, "jwksUrl", "https://x"), "jwksUrl", "");
    assertRejected(Map.of("issuer", ISSUER, "jwksUri", "ftp://idp.test/jwks"), "jwksUri", "");
    assertRejected(
        Map.of("issuer", ISSUER, "jwks", jwks(RSA), "audienceFailureStatus", 402),
        "audienceFailureStatus",
        "");
    assertRejected(
        Map.of("issuer", ISSUER, "jwks", jwks(RSA), "maxTokenBytes", 100_000), "maxTokenBytes", "");
    assertRejected(
        Map.of("providers", List.of(Map.of("jwks", jwks(RSA)))), "providers[0].issuer", "");
  }

  @Test
  void parserErrorsNameTheFieldAndWhatWasExpected() {
    assertRejected(Map.of(), "", "no provider");
    assertRejected(Map.of("issuer", ISSUER), "", "expected: jwksUri or jwks");
    assertRejected(
        Map.of("issuer", ISSUER, "jwks", jwks(RSA), "jwksUri", "https://idp.test/jwks"),
        "",
        "both jwksUri and jwks");
    assertRejected(
        Map.of("issuer", ISSUER, "providers", List.of(Map.of("issuer", ISSUER, "jwks", jwks(RSA)))),
        "issuer",
        "given next to providers");
    assertRejected(
        Map.of(
            "providers",
            List.of(
                Map.of("issuer", ISSUER, "jwks", jwks(RSA)),
                Map.of("issuer", ISSUER, "jwksUri", "https://idp.test/jwks"))),
        "providers[1].issuer",
        "appears twice");
    assertRejected(
        Map.of("issuer", ISSUER, "jwks", "{\"keys\": []}"), "jwks", "no usable verification key");
    assertRejected(
        Map.of("issuer", ISSUER, "jwks", jwks(TestKeys.hmac(128, "short"))),
        "jwks",
        "symmetric key of 128 bits (expected: >= 256)");
    assertRejected(
        Map.of("issuer", ISSUER, "jwks", jwks(RSA), "clockSkew", "1h"),
        "clockSkew",
        "\"1h\" (expected: at most 10m)");
    assertRejected(
        Map.of("issuer", ISSUER, "jwks", jwks(RSA), "clockSkew", "soon"),
        "clockSkew",
        "expected: a duration");
    assertRejected(
        Map.of(
            "issuer",
            ISSUER,
            "jwks",
            jwks(RSA),
            "claimsToHeaders",
            List.of(Map.of("claim", "sub", "header", "Authorization"))),
        "claimsToHeaders[0].header",
        "carries no token");
  }

  @Test
  void algorithmsAreUnpinnedByDefaultAndPinnedPerProvider() {
    assertThat(parse(Map.of("issuer", ISSUER, "jwks", jwks(RSA))).providers().get(0).algorithms())
        .isEmpty();
    ProviderConfig pinned =
        parse(Map.of("issuer", ISSUER, "jwks", jwks(RSA), "algorithms", List.of("RS256", "PS256")))
            .providers()
            .get(0);
    assertThat(pinned.algorithms()).containsExactly(JWSAlgorithm.RS256, JWSAlgorithm.PS256);
    assertThat(pinned.allows(JWSAlgorithm.PS256)).isTrue();
    assertThat(pinned.allows(JWSAlgorithm.PS384)).isFalse();
    // keys from a URI are known only later: any supported name is taken
    assertThat(
            parse(
                    Map.of(
                        "issuer",
                        ISSUER,
                        "jwksUri",
                        "https://idp.test/jwks.json",
                        "algorithms",
                        List.of("ES256")))
                .providers()
                .get(0)
                .algorithms())
        .containsExactly(JWSAlgorithm.ES256);
  }

  @Test
  void algorithmsMustBeKnownJwsNames() {
    assertRejected(
        Map.of("issuer", ISSUER, "jwks", jwks(RSA), "algorithms", List.of("RS257")),
        "algorithms[0]",
        "");
    assertRejected(
        Map.of("issuer", ISSUER, "jwks", jwks(RSA), "algorithms", List.of("none")),
        "algorithms[0]",
        "");
    assertRejected(
        Map.of("issuer", ISSUER, "jwks", jwks(RSA), "algorithms", List.of()), "algorithms", "");
    assertRejected(
        Map.of("issuer", ISSUER, "jwks", jwks(RSA), "algorithms", List.of("RS256", "RS256")),
        "algorithms",
        "");
    // the parser says the same without the schema, names are case-sensitive
    assertThatThrownBy(
            () ->
                parse(
                    Map.of(
                        "issuer",
                        ISSUER,
                        "jwks",
                        jwks(RSA),
                        "algorithms",
                        List.of("RS256", "rs256"))))
        .isInstanceOf(ConfigException.class)
        .satisfies(e -> assertThat(((ConfigException) e).field()).isEqualTo("algorithms[1]"))
        .hasMessageContaining(
            "'rs256' (expected: one of RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384,"
                + " ES512, EdDSA, Ed25519, HS256, HS384, HS512)");
  }

  @Test
  void pinnedAlgorithmsMustFitTheInlineKeys() {
    assertRejected(
        Map.of("issuer", ISSUER, "jwks", jwks(RSA), "algorithms", List.of("RS256", "ES256")),
        "algorithms[1]",
        "'ES256' fits none of the keys in jwks (expected: an algorithm of their types:"
            + " RS256, RS384, RS512, PS256, PS384, PS512)");
    JWK rsaForRs256 = new RSAKey.Builder(RSA).algorithm(JWSAlgorithm.RS256).build();
    assertRejected(
        Map.of("issuer", ISSUER, "jwks", jwks(rsaForRs256), "algorithms", List.of("PS256")),
        "algorithms[0]",
        "(expected: an algorithm of their types: RS256)");
    assertRejected(
        Map.of(
            "issuer",
            ISSUER,
            "jwks",
            jwks(TestKeys.hmac(256, "short")),
            "algorithms",
            List.of("HS512")),
        "algorithms[0]",
        "(expected: an algorithm of their types: HS256)");
    assertRejected(
        Map.of(
            "providers",
            List.of(
                Map.of("issuer", ISSUER, "jwks", jwks(RSA)),
                Map.of(
                    "issuer",
                    "https://partner.test",
                    "jwks",
                    jwks(TestKeys.P256),
                    "algorithms",
                    List.of("ES384")))),
        "providers[1].algorithms[0]",
        "(expected: an algorithm of their types: ES256)");
  }

  @Test
  void theSchemaListsExactlyTheSupportedAlgorithms() throws Exception {
    Map<String, Object> schema = JSONObjectUtils.parse(factory.configSchema());
    Map<String, Object> defs = JSONObjectUtils.getJSONObject(schema, "$defs");
    Map<String, Object> algorithms = JSONObjectUtils.getJSONObject(defs, "algorithms");
    Map<String, Object> items = JSONObjectUtils.getJSONObject(algorithms, "items");
    assertThat(items.get("enum"))
        .isEqualTo(KeySet.ALGORITHMS.stream().map(JWSAlgorithm::getName).toList());
  }
}
