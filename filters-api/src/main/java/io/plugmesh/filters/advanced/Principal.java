package io.plugmesh.filters.advanced;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An authenticated caller: a subject and the claims that vouch for it (JWT claims as parsed from
 * JSON: strings, numbers, booleans, lists and maps).
 *
 * @param subject the subject, e.g. the JWT {@code sub}
 * @param issuer the issuer that vouched, e.g. the JWT {@code iss}; empty if unknown
 * @param claims all claims, unmodifiable
 */
public record Principal(String subject, String issuer, Map<String, Object> claims) {

  /**
   * Creates a principal.
   *
   * @param subject the subject
   * @param issuer the issuer, empty if unknown
   * @param claims the claims (copied)
   */
  public Principal {
    requireNonNull(subject, "subject");
    requireNonNull(issuer, "issuer");
    claims = Map.copyOf(requireNonNull(claims, "claims"));
  }

  /**
   * A claim's value as strings: a string claim gives one value, a list gives its elements, a
   * space-separated {@code scope} gives each scope.
   *
   * @param name the claim name
   * @return the values, empty when the claim is absent
   */
  public List<String> claimValues(String name) {
    Object value = claims.get(name);
    if (value == null) {
      return List.of();
    }
    if (value instanceof List<?> list) {
      return list.stream().map(String::valueOf).toList();
    }
    if ("scope".equals(name) && value instanceof String s) {
      return List.of(s.trim().split("\\s+"));
    }
    return List.of(String.valueOf(value));
  }

  /**
   * A claim's value as one string.
   *
   * @param name the claim name
   * @return the value, or empty when absent
   */
  public Optional<String> claim(String name) {
    Object value = claims.get(name);
    return value == null ? Optional.empty() : Optional.of(String.valueOf(value));
  }
}
