package io.plugmesh.plugins.authnjwt;

/**
 * Why a request was refused: the {@code reason} tag of the {@code denied} metric and the {@code
 * error_description} sent to the client.
 */
enum Rejection {
  /** No token in any configured location. */
  MISSING("missing", "token missing"),
  /** More than one token in one location (e.g. two {@code Authorization} headers). */
  AMBIGUOUS("ambiguous", "more than one token"),
  /**
   * Different tokens in two locations (e.g. {@code Authorization} and a query parameter): which one
   * the caller meant is unknown, and the other would pass upstream unchecked or be dropped.
   */
  SEVERAL_LOCATIONS("several_locations", "different tokens in more than one location"),
  /** Larger than {@code maxTokenBytes}. */
  TOO_LARGE("too_large", "token too large"),
  /** Not a compact JWS, bad base64url or bad JSON. */
  MALFORMED("malformed", "token malformed"),
  /** Header or claims nested deeper than {@link TokenParser#MAX_JSON_DEPTH}. */
  TOO_DEEP("too_deep", "token nested too deeply"),
  /** An unsecured JWT ({@code alg: none}). */
  ALG_NONE("alg_none", "unsecured token (alg none) not accepted"),
  /** An algorithm outside the supported set. */
  ALG_UNSUPPORTED("alg_unsupported", "token algorithm not supported"),
  /** An algorithm the issuer's provider does not list in {@code algorithms}. */
  ALG_NOT_ALLOWED("alg_not_allowed", "token algorithm not allowed for this issuer"),
  /** The token's {@code alg} does not fit the key it names (or any key, without a kid). */
  ALG_MISMATCH("alg_mismatch", "token algorithm does not match the key"),
  /** A {@code crit} header parameter this verifier does not understand. */
  CRIT_UNSUPPORTED("crit_unsupported", "critical header parameter not supported"),
  /** The token names a key the issuer's key set does not hold. */
  UNKNOWN_KID("unknown_kid", "unknown key id"),
  /** No signing keys could be obtained for the issuer. */
  KEYS_UNAVAILABLE("keys_unavailable", "signing keys unavailable"),
  /** The signature does not verify. */
  BAD_SIGNATURE("bad_signature", "signature invalid"),
  /** No provider accepts the token's {@code iss}. */
  WRONG_ISSUER("wrong_issuer", "issuer not accepted"),
  /** None of the token's audiences is accepted. */
  WRONG_AUDIENCE("wrong_audience", "audience not accepted"),
  /** {@code exp} has passed. */
  EXPIRED("expired", "token expired"),
  /** {@code nbf} is still ahead. */
  NOT_YET_VALID("not_yet_valid", "token not yet valid"),
  /** {@code iat} is in the future. */
  ISSUED_IN_FUTURE("issued_in_future", "token issued in the future"),
  /** No {@code exp} while {@code requireExpiration} is on. */
  NO_EXPIRATION("no_expiration", "token has no expiration"),
  /** {@code exp} lies further from {@code iat} than {@code maxLifetime}. */
  LIFETIME_TOO_LONG("lifetime_too_long", "token lifetime too long"),
  /** A required claim is absent or has another value. */
  CLAIM_MISMATCH("claim_mismatch", "required claim missing or not accepted"),
  /** A registered claim of the wrong type (e.g. a string {@code exp}). */
  BAD_CLAIM("bad_claim", "token claims malformed");

  private final String tag;
  private final String description;

  Rejection(String tag, String description) {
    this.tag = tag;
    this.description = description;
  }

  /** The metric tag value, snake_case. */
  String tag() {
    return tag;
  }

  /** The text for {@code error_description}: no quotes, no backslashes. */
  String description() {
    return description;
  }
}
