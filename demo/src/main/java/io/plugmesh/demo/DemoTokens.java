package io.plugmesh.demo;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;

/**
 * The demo's identity provider: an RSA key made at start, its public JWK set (served inline in the
 * authn-jwt config) and tokens signed with it.
 */
final class DemoTokens {
  /** The issuer ({@code iss}) of demo tokens. */
  static final String ISSUER = "https://idp.demo.plugmesh";

  /** The audience ({@code aud}) of demo tokens. */
  static final String AUDIENCE = "reviews";

  /** How long a demo token is valid. */
  static final Duration LIFETIME = Duration.ofHours(12);

  private static final int RSA_BITS = 2048;
  private static final String KEY_ID = "demo-key-1";

  private final RSAKey key;

  private DemoTokens(RSAKey key) {
    this.key = key;
  }

  /**
   * Makes a fresh signing key.
   *
   * @return the provider
   */
  static DemoTokens generate() {
    try {
      return new DemoTokens(
          new RSAKeyGenerator(RSA_BITS)
              .keyID(KEY_ID)
              .keyUse(KeyUse.SIGNATURE)
              .algorithm(JWSAlgorithm.RS256)
              .generate());
    } catch (JOSEException e) {
      throw new IllegalStateException("cannot generate the demo RSA key: " + e.getMessage(), e);
    }
  }

  /** The public JWK set as JSON text (no private parts). */
  String publicJwks() {
    return new JWKSet(key.toPublicJWK()).toString(true);
  }

  /**
   * Mints a token.
   *
   * @param subject the {@code sub}
   * @param scope the space-separated {@code scope}
   * @return the compact JWS
   */
  String mint(String subject, String scope) {
    Instant now = Instant.now();
    JWTClaimsSet claims =
        new JWTClaimsSet.Builder()
            .issuer(ISSUER)
            .audience(AUDIENCE)
            .subject(subject)
            .claim("scope", scope)
            .issueTime(Date.from(now))
            .expirationTime(Date.from(now.plus(LIFETIME)))
            .build();
    SignedJWT jwt =
        new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(KEY_ID).build(), claims);
    try {
      jwt.sign(new RSASSASigner(key));
    } catch (JOSEException e) {
      throw new IllegalStateException("cannot sign a demo token: " + e.getMessage(), e);
    }
    return jwt.serialize();
  }
}
