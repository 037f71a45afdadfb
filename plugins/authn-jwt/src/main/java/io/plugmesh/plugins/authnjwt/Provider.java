package io.plugmesh.plugins.authnjwt;

import static java.util.Objects.requireNonNull;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jwt.JWTClaimsSet;
import io.plugmesh.filters.advanced.Principal;
import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;

/**
 * One trusted issuer at run time: its config and its key source. Verifies a parsed token's
 * signature with a key that fits the token's algorithm, then its claims.
 */
final class Provider {

  /** The most keys tried for a token without a key id. */
  static final int MAX_KEYS_TRIED = 16;

  /** What checking a token against this provider's keys gave. */
  sealed interface Verdict permits Accepted, Refused, KeyNotFound {}

  /**
   * The token is valid.
   *
   * @param principal the caller
   */
  record Accepted(Principal principal) implements Verdict {}

  /**
   * The token is not valid.
   *
   * @param rejection why
   */
  record Refused(Rejection rejection) implements Verdict {}

  /** The token names a key id that the key set does not hold (refetching may help). */
  record KeyNotFound() implements Verdict {}

  private final ProviderConfig config;
  private final KeySource keys;

  Provider(ProviderConfig config, KeySource keys) {
    this.config = requireNonNull(config, "config");
    this.keys = requireNonNull(keys, "keys");
  }

  ProviderConfig config() {
    return config;
  }

  KeySource keys() {
    return keys;
  }

  /**
   * Checks a token.
   *
   * @param token a parsed token whose {@code iss} is this provider's
   * @param keySet the keys to verify with
   * @param now the current time
   * @return the verdict
   */
  Verdict verify(TokenParser.Parsed token, KeySet keySet, Instant now) {
    JWSAlgorithm alg = token.header().getAlgorithm();
    if (!config.allows(alg)) {
      return new Refused(Rejection.ALG_NOT_ALLOWED);
    }
    String kid = token.header().getKeyID();
    List<KeySet.Key> candidates = kid != null ? keySet.withKid(kid) : keySet.keys();
    if (kid != null && candidates.isEmpty()) {
      return new KeyNotFound();
    }
    List<KeySet.Key> fitting = new ArrayList<>();
    for (KeySet.Key key : candidates) {
      if (KeySet.fits(key, alg) && fitting.size() < MAX_KEYS_TRIED) {
        fitting.add(key);
      }
    }
    if (fitting.isEmpty()) {
      return new Refused(Rejection.ALG_MISMATCH);
    }
    boolean verified = false;
    for (KeySet.Key key : fitting) {
      try {
        if (token.jwt().verify(key.verifier())) {
          verified = true;
          break;
        }
      } catch (JOSEException | IllegalStateException e) {
        // A signature that cannot be checked with this key counts as not matching it.
      }
    }
    if (!verified) {
      return new Refused(Rejection.BAD_SIGNATURE);
    }
    Principal principal = principal(token.claims());
    Rejection problem = checkClaims(token.claims(), principal, now);
    if (problem != null) {
      return new Refused(problem);
    }
    return new Accepted(principal);
  }

  /** The claim checks after the signature: times, audience, required claims. Null when valid. */
  Rejection checkClaims(JWTClaimsSet claims, Principal principal, Instant now) {
    Date exp;
    Date nbf;
    Date iat;
    List<String> audiences;
    try {
      exp = claims.getDateClaim("exp");
      nbf = claims.getDateClaim("nbf");
      iat = claims.getDateClaim("iat");
      audiences = claims.getStringListClaim("aud");
      claims.getStringClaim("sub");
    } catch (ParseException e) {
      return Rejection.BAD_CLAIM;
    }
    Duration skew = config.clockSkew();
    if (exp == null) {
      if (config.requireExpiration()) {
        return Rejection.NO_EXPIRATION;
      }
    } else if (now.isAfter(exp.toInstant().plus(skew))) {
      return Rejection.EXPIRED;
    }
    if (nbf != null && now.plus(skew).isBefore(nbf.toInstant())) {
      return Rejection.NOT_YET_VALID;
    }
    if (iat != null && now.plus(skew).isBefore(iat.toInstant())) {
      return Rejection.ISSUED_IN_FUTURE;
    }
    if (config.maxLifetime() != null) {
      if (exp == null) {
        return Rejection.NO_EXPIRATION;
      }
      Instant from = iat != null ? iat.toInstant() : now;
      if (Duration.between(from, exp.toInstant()).compareTo(config.maxLifetime()) > 0) {
        return Rejection.LIFETIME_TOO_LONG;
      }
    }
    if (!config.audiences().isEmpty()) {
      if (audiences == null || audiences.stream().noneMatch(config.audiences()::contains)) {
        return Rejection.WRONG_AUDIENCE;
      }
    }
    if (!config.requiredClaims().isEmpty()) {
      for (Map.Entry<String, List<String>> required : config.requiredClaims().entrySet()) {
        List<String> values = principal.claimValues(required.getKey());
        if (values.stream().noneMatch(required.getValue()::contains)) {
          return Rejection.CLAIM_MISMATCH;
        }
      }
    }
    return null;
  }

  private Principal principal(JWTClaimsSet claims) {
    Object sub = claims.getClaim("sub");
    String subject = sub instanceof String s ? s : "";
    return new Principal(subject, config.issuer(), ClaimValues.immutableMap(claims.toJSONObject()));
  }
}
