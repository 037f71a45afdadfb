package io.plugmesh.plugins.authnjwt;

import com.nimbusds.jose.Header;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.PlainHeader;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.text.ParseException;

/**
 * Checks a token's shape before any key is touched: size, compact JWS form, base64url, JSON nesting
 * depth, then the header (no {@code alg: none}, a supported algorithm, no {@code crit} parameter)
 * and the claims, all parsed by nimbus.
 */
final class TokenParser {

  /** The deepest JSON nesting accepted in the header or the claims (the top object is 1). */
  static final int MAX_JSON_DEPTH = 16;

  private TokenParser() {}

  /** A parsed token or the reason it was refused. */
  sealed interface Result permits Parsed, Refused {}

  /**
   * A token in good shape; its signature and claims are not checked yet.
   *
   * @param jwt the signed JWT
   * @param header its header
   * @param claims its claims
   */
  record Parsed(SignedJWT jwt, JWSHeader header, JWTClaimsSet claims) implements Result {}

  /**
   * A refused token.
   *
   * @param rejection why
   */
  record Refused(Rejection rejection) implements Result {}

  /**
   * Parses a compact JWS.
   *
   * @param token the token text
   * @param maxBytes the largest token accepted
   * @return the parsed token, or why it was refused
   */
  static Result parse(String token, int maxBytes) {
    if (token.length() > maxBytes) {
      return new Refused(Rejection.TOO_LARGE);
    }
    int first = token.indexOf('.');
    int second = first < 0 ? -1 : token.indexOf('.', first + 1);
    if (first <= 0 || second < 0 || token.indexOf('.', second + 1) >= 0) {
      return new Refused(Rejection.MALFORMED);
    }
    for (int i = 0; i < token.length(); i++) {
      char c = token.charAt(i);
      if (c != '.' && !isBase64Url(c)) {
        return new Refused(Rejection.MALFORMED);
      }
    }
    Base64URL headerPart = new Base64URL(token.substring(0, first));
    Base64URL payloadPart = new Base64URL(token.substring(first + 1, second));
    if (depth(headerPart.decode()) > MAX_JSON_DEPTH
        || depth(payloadPart.decode()) > MAX_JSON_DEPTH) {
      return new Refused(Rejection.TOO_DEEP);
    }
    Header header;
    try {
      header = Header.parse(headerPart);
    } catch (ParseException e) {
      return new Refused(Rejection.MALFORMED);
    }
    if (header instanceof PlainHeader) {
      return new Refused(Rejection.ALG_NONE);
    }
    if (!(header instanceof JWSHeader jwsHeader)) {
      return new Refused(Rejection.MALFORMED);
    }
    if (!KeySet.SUPPORTED.contains(jwsHeader.getAlgorithm())) {
      return new Refused(Rejection.ALG_UNSUPPORTED);
    }
    if (jwsHeader.getCriticalParams() != null && !jwsHeader.getCriticalParams().isEmpty()) {
      return new Refused(Rejection.CRIT_UNSUPPORTED);
    }
    try {
      SignedJWT jwt = SignedJWT.parse(token);
      return new Parsed(jwt, jwt.getHeader(), jwt.getJWTClaimsSet());
    } catch (ParseException | IllegalStateException e) {
      return new Refused(Rejection.MALFORMED);
    }
  }

  private static boolean isBase64Url(char c) {
    return (c >= 'A' && c <= 'Z')
        || (c >= 'a' && c <= 'z')
        || (c >= '0' && c <= '9')
        || c == '-'
        || c == '_';
  }

  /**
   * The deepest nesting of objects and arrays in JSON text, strings skipped. Not a validator:
   * malformed text is left to the parser.
   *
   * @param json UTF-8 JSON bytes
   * @return the depth; 1 for a flat object
   */
  static int depth(byte[] json) {
    int depth = 0;
    int max = 0;
    boolean inString = false;
    for (int i = 0; i < json.length; i++) {
      byte b = json[i];
      if (inString) {
        if (b == '\\') {
          i++;
        } else if (b == '"') {
          inString = false;
        }
      } else if (b == '"') {
        inString = true;
      } else if (b == '{' || b == '[') {
        depth++;
        max = Math.max(max, depth);
      } else if (b == '}' || b == ']') {
        depth--;
      }
    }
    return max;
  }
}
