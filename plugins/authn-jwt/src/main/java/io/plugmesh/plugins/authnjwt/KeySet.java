package io.plugmesh.plugins.authnjwt;

import static java.util.Objects.requireNonNull;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.Ed25519Verifier;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyOperation;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.jwk.RSAKey;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An issuer's verification keys, each with a ready verifier, and the rule that pins a token's
 * algorithm to the kind of key: RSA keys verify RS/PS, EC keys ES on their own curve, Ed25519 keys
 * EdDSA, symmetric keys HS. A key that states {@code alg} verifies only that algorithm; a key for
 * encryption ({@code use: enc}, or {@code key_ops} without {@code verify}) verifies nothing.
 */
final class KeySet {

  /** The most keys one set may hold; more are ignored (and reported). */
  static final int MAX_KEYS = 100;

  /** The smallest RSA modulus accepted, in bits. */
  static final int MIN_RSA_BITS = 2048;

  /** The smallest HMAC secret accepted, in bits (RFC 7518 3.2: at least the hash size). */
  static final int MIN_HMAC_BITS = 256;

  /** The algorithms this plugin verifies, in the order the README and errors list them. */
  static final List<JWSAlgorithm> ALGORITHMS =
      List.of(
          JWSAlgorithm.RS256,
          JWSAlgorithm.RS384,
          JWSAlgorithm.RS512,
          JWSAlgorithm.PS256,
          JWSAlgorithm.PS384,
          JWSAlgorithm.PS512,
          JWSAlgorithm.ES256,
          JWSAlgorithm.ES384,
          JWSAlgorithm.ES512,
          JWSAlgorithm.EdDSA,
          JWSAlgorithm.Ed25519,
          JWSAlgorithm.HS256,
          JWSAlgorithm.HS384,
          JWSAlgorithm.HS512);

  /** {@link #ALGORITHMS} as a set. */
  static final Set<JWSAlgorithm> SUPPORTED = Set.copyOf(ALGORITHMS);

  private static final Map<JWSAlgorithm, Curve> EC_CURVES =
      Map.of(
          JWSAlgorithm.ES256, Curve.P_256,
          JWSAlgorithm.ES384, Curve.P_384,
          JWSAlgorithm.ES512, Curve.P_521);

  private static final Map<JWSAlgorithm, Integer> HMAC_BITS =
      Map.of(JWSAlgorithm.HS256, 256, JWSAlgorithm.HS384, 384, JWSAlgorithm.HS512, 512);

  /** One usable key. */
  record Key(JWK jwk, JWSVerifier verifier) {
    Key {
      requireNonNull(jwk, "jwk");
      requireNonNull(verifier, "verifier");
    }

    /** The key id, or null. */
    String kid() {
      return jwk.getKeyID();
    }
  }

  private final List<Key> keys;
  private final List<String> skipped;

  private KeySet(List<Key> keys, List<String> skipped) {
    this.keys = List.copyOf(keys);
    this.skipped = List.copyOf(skipped);
  }

  /**
   * Parses a JWK set ({@code {"keys": [...]}}) or a single JWK.
   *
   * @param json the JSON text
   * @param allowSymmetric whether HMAC secrets are taken (inline config only: a secret published at
   *     a URL is no secret)
   * @return the usable keys and the reasons others were skipped
   * @throws IllegalArgumentException if the text is not a JWK set or JWK, or holds no usable key
   */
  static KeySet parse(String json, boolean allowSymmetric) {
    requireNonNull(json, "json");
    List<JWK> jwks;
    try {
      JWKSet set = JWKSet.parse(json);
      jwks = set.getKeys();
    } catch (ParseException setProblem) {
      try {
        jwks = List.of(JWK.parse(json));
      } catch (ParseException keyProblem) {
        throw new IllegalArgumentException(
            "not a JWK set or JWK: " + setProblem.getMessage(), setProblem);
      }
    }
    return of(jwks, allowSymmetric);
  }

  /** The usable keys among {@code jwks}; throws if there is none. */
  static KeySet of(List<JWK> jwks, boolean allowSymmetric) {
    List<Key> keys = new ArrayList<>();
    List<String> skipped = new ArrayList<>();
    for (JWK jwk : jwks) {
      String name = "key " + (jwk.getKeyID() == null ? "#" + jwks.indexOf(jwk) : jwk.getKeyID());
      if (keys.size() >= MAX_KEYS) {
        skipped.add(name + ": more than " + MAX_KEYS + " keys");
        continue;
      }
      if (!allowSymmetric && jwk instanceof OctetSequenceKey) {
        skipped.add(name + ": symmetric keys are accepted inline only");
        continue;
      }
      try {
        keys.add(new Key(jwk, verifier(jwk)));
      } catch (IllegalArgumentException | JOSEException e) {
        skipped.add(name + ": " + e.getMessage());
      }
    }
    if (keys.isEmpty()) {
      throw new IllegalArgumentException(
          "no usable verification key"
              + (skipped.isEmpty()
                  ? " (the set is empty)"
                  : " (" + String.join("; ", skipped) + ")"));
    }
    return new KeySet(keys, skipped);
  }

  private static JWSVerifier verifier(JWK jwk) throws JOSEException {
    if (jwk.getKeyUse() != null && !KeyUse.SIGNATURE.equals(jwk.getKeyUse())) {
      throw new IllegalArgumentException("use is '" + jwk.getKeyUse() + "' (expected: sig)");
    }
    if (jwk.getKeyOperations() != null && !jwk.getKeyOperations().contains(KeyOperation.VERIFY)) {
      throw new IllegalArgumentException("key_ops " + jwk.getKeyOperations() + " lack verify");
    }
    if (jwk.getAlgorithm() != null
        && !SUPPORTED.contains(JWSAlgorithm.parse(jwk.getAlgorithm().getName()))) {
      throw new IllegalArgumentException("alg " + jwk.getAlgorithm() + " is not supported");
    }
    if (jwk instanceof RSAKey rsa) {
      if (rsa.size() < MIN_RSA_BITS) {
        throw new IllegalArgumentException(
            "RSA key of " + rsa.size() + " bits (expected: >= " + MIN_RSA_BITS + ")");
      }
      return new RSASSAVerifier(rsa.toPublicJWK());
    }
    if (jwk instanceof ECKey ec) {
      if (!EC_CURVES.containsValue(ec.getCurve())) {
        throw new IllegalArgumentException(
            "EC curve " + ec.getCurve() + " (expected: P-256, P-384 or P-521)");
      }
      return new ECDSAVerifier(ec.toPublicJWK());
    }
    if (jwk instanceof OctetKeyPair okp) {
      if (!Curve.Ed25519.equals(okp.getCurve())) {
        throw new IllegalArgumentException("OKP curve " + okp.getCurve() + " (expected: Ed25519)");
      }
      return new Ed25519Verifier(okp.toPublicJWK());
    }
    if (jwk instanceof OctetSequenceKey oct) {
      if (oct.size() < MIN_HMAC_BITS) {
        throw new IllegalArgumentException(
            "symmetric key of " + oct.size() + " bits (expected: >= " + MIN_HMAC_BITS + ")");
      }
      return new MACVerifier(oct);
    }
    throw new IllegalArgumentException("key type " + jwk.getKeyType() + " is not supported");
  }

  /**
   * Whether a key may verify a token signed with {@code alg}: the key type (and curve) fits the
   * algorithm family, and a key that names an algorithm names this one.
   *
   * @param key the key
   * @param alg the token's algorithm
   * @return true if the pair fits
   */
  static boolean fits(Key key, JWSAlgorithm alg) {
    JWK jwk = key.jwk();
    if (jwk.getAlgorithm() != null && !jwk.getAlgorithm().getName().equals(alg.getName())) {
      return false;
    }
    if (JWSAlgorithm.Family.RSA.contains(alg)) {
      return jwk instanceof RSAKey;
    }
    if (EC_CURVES.containsKey(alg)) {
      return jwk instanceof ECKey ec && EC_CURVES.get(alg).equals(ec.getCurve());
    }
    if (JWSAlgorithm.EdDSA.equals(alg) || JWSAlgorithm.Ed25519.equals(alg)) {
      return jwk instanceof OctetKeyPair okp && Curve.Ed25519.equals(okp.getCurve());
    }
    if (HMAC_BITS.containsKey(alg)) {
      return jwk instanceof OctetSequenceKey oct && oct.size() >= HMAC_BITS.get(alg);
    }
    return false;
  }

  /** Every usable key, in set order. */
  List<Key> keys() {
    return keys;
  }

  /** The keys with this key id. */
  List<Key> withKid(String kid) {
    List<Key> out = new ArrayList<>(1);
    for (Key key : keys) {
      if (kid.equals(key.kid())) {
        out.add(key);
      }
    }
    return out;
  }

  /** Why some keys of the source were not taken, for logs. */
  List<String> skipped() {
    return skipped;
  }

  @Override
  public String toString() {
    return "KeySet{" + keys.size() + " keys, " + skipped.size() + " skipped}";
  }
}
