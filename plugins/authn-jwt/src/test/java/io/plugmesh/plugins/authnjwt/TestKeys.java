package io.plugmesh.plugins.authnjwt;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.Ed25519Signer;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.OctetKeyPairGenerator;
import com.nimbusds.jose.jwk.gen.OctetSequenceKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.plugmesh.filters.testkit.VirtualTime;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;

/** Test keys of every supported kind and signed tokens made with them. */
final class TestKeys {
  static final String ISSUER = "https://idp.test";
  static final String AUDIENCE = "reviews";
  static final Instant NOW = VirtualTime.DEFAULT_START;

  static final RSAKey RSA = rsa("rsa-1");
  static final RSAKey RSA_2 = rsa("rsa-2");
  static final ECKey P256 = ec(Curve.P_256, "ec-256");
  static final ECKey P384 = ec(Curve.P_384, "ec-384");
  static final ECKey P521 = ec(Curve.P_521, "ec-521");
  static final OctetKeyPair ED25519 = ed("ed-1");
  static final OctetSequenceKey HMAC_512 = hmac(512, "hs-1");

  private TestKeys() {}

  static RSAKey rsa(String kid) {
    try {
      return new RSAKeyGenerator(2048).keyID(kid).generate();
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  static ECKey ec(Curve curve, String kid) {
    try {
      return new ECKeyGenerator(curve).keyID(kid).generate();
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  static OctetKeyPair ed(String kid) {
    try {
      return new OctetKeyPairGenerator(Curve.Ed25519).keyID(kid).generate();
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  static OctetSequenceKey hmac(int bits, String kid) {
    try {
      return new OctetSequenceKeyGenerator(bits).keyID(kid).generate();
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The JWK set of the given keys as JSON: public parts, and symmetric keys as they are. */
  static String jwks(JWK... keys) {
    List<JWK> published =
        java.util.Arrays.stream(keys)
            .map(k -> k instanceof OctetSequenceKey ? k : k.toPublicJWK())
            .toList();
    return new JWKSet(published).toString(false);
  }

  /** A token valid for two hours from {@link #NOW}. */
  static String longLived(JWSAlgorithm alg, JWK key) {
    return sign(
        alg, key, claims().expirationTime(Date.from(NOW.plus(Duration.ofHours(2)))).build());
  }

  /** Claims valid at {@link #NOW} for {@link #ISSUER} and {@link #AUDIENCE}. */
  static JWTClaimsSet.Builder claims() {
    return new JWTClaimsSet.Builder()
        .issuer(ISSUER)
        .subject("alice")
        .audience(AUDIENCE)
        .issueTime(Date.from(NOW))
        .expirationTime(Date.from(NOW.plus(Duration.ofMinutes(5))));
  }

  static String sign(JWSAlgorithm alg, JWK key) {
    return sign(alg, key, claims().build());
  }

  static String sign(JWSAlgorithm alg, JWK key, JWTClaimsSet claims) {
    return sign(
        new JWSHeader.Builder(alg).keyID(key.getKeyID()).type(JOSEObjectType.JWT).build(),
        key,
        claims);
  }

  static String sign(JWSHeader header, JWK key, JWTClaimsSet claims) {
    try {
      SignedJWT jwt = new SignedJWT(header, claims);
      jwt.sign(signer(key));
      return jwt.serialize();
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  static JWSSigner signer(JWK key) throws JOSEException {
    if (key instanceof RSAKey rsa) {
      return new RSASSASigner(rsa);
    }
    if (key instanceof ECKey ec) {
      return new ECDSASigner(ec);
    }
    if (key instanceof OctetKeyPair okp) {
      return new Ed25519Signer(okp);
    }
    if (key instanceof OctetSequenceKey oct) {
      return new MACSigner(oct);
    }
    throw new IllegalArgumentException(key.getKeyType().toString());
  }

  /** A route config of one provider with inline keys. */
  static Map<String, Object> inline(JWK... keys) {
    return Map.of("issuer", ISSUER, "audiences", List.of(AUDIENCE), "jwks", jwks(keys));
  }
}
