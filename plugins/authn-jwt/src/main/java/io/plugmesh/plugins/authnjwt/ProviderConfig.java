package io.plugmesh.plugins.authnjwt;

import static java.util.Objects.requireNonNull;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.util.JSONObjectUtils;
import io.plugmesh.filters.ConfigNode;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One token issuer a route trusts: who it is, for whom its tokens must be, where its keys are and
 * how strictly its claims are checked.
 *
 * @param issuer the exact {@code iss} value
 * @param audiences accepted {@code aud} values; empty accepts any audience
 * @param jwksUri where the JWK set is fetched, or null with inline keys
 * @param inlineKeys the keys given in config, or null with a JWKS URI
 * @param clockSkew tolerance for {@code exp}, {@code nbf} and {@code iat}
 * @param requireExpiration whether a token without {@code exp} is refused
 * @param maxLifetime the longest accepted {@code exp - iat} (or {@code exp - now} without {@code
 *     iat}); null for no limit
 * @param requiredClaims claim name to accepted values; the claim must hold at least one
 * @param jwksCacheDuration how long fetched keys are fresh; refreshed before that
 * @param jwksFetchTimeout how long one JWKS fetch may take
 * @param jwksRefetchInterval the least time between two fetches caused by unknown key ids
 * @param algorithms the only algorithms accepted from this issuer; empty accepts every algorithm
 *     that fits a key (a key that states {@code alg} accepts only that one either way)
 */
record ProviderConfig(
    String issuer,
    List<String> audiences,
    URI jwksUri,
    KeySet inlineKeys,
    Duration clockSkew,
    boolean requireExpiration,
    Duration maxLifetime,
    Map<String, List<String>> requiredClaims,
    Duration jwksCacheDuration,
    Duration jwksFetchTimeout,
    Duration jwksRefetchInterval,
    List<JWSAlgorithm> algorithms) {

  /** Default tolerance for time claims. */
  static final Duration DEFAULT_CLOCK_SKEW = Duration.ofSeconds(60);

  /** Default freshness of fetched keys (Envoy's remote_jwks default). */
  static final Duration DEFAULT_JWKS_CACHE_DURATION = Duration.ofMinutes(10);

  /** Default bound of one JWKS fetch. */
  static final Duration DEFAULT_JWKS_FETCH_TIMEOUT = Duration.ofSeconds(5);

  /** Default least time between refetches for unknown key ids. */
  static final Duration DEFAULT_JWKS_REFETCH_INTERVAL = Duration.ofSeconds(10);

  /** The shortest cache duration accepted. */
  static final Duration MIN_JWKS_CACHE_DURATION = Duration.ofSeconds(1);

  /** The largest clock skew accepted. */
  static final Duration MAX_CLOCK_SKEW = Duration.ofMinutes(10);

  ProviderConfig {
    requireNonNull(issuer, "issuer");
    audiences = List.copyOf(audiences);
    if ((jwksUri == null) == (inlineKeys == null)) {
      throw new IllegalArgumentException("exactly one of jwksUri and inlineKeys");
    }
    requireNonNull(clockSkew, "clockSkew");
    requiredClaims = Map.copyOf(requiredClaims);
    requireNonNull(jwksCacheDuration, "jwksCacheDuration");
    requireNonNull(jwksFetchTimeout, "jwksFetchTimeout");
    requireNonNull(jwksRefetchInterval, "jwksRefetchInterval");
    algorithms = List.copyOf(algorithms);
  }

  /**
   * Whether a token signed with {@code alg} may be accepted from this issuer at all.
   *
   * @param alg the token's algorithm
   * @return false when {@code algorithms} is given and does not list it
   */
  boolean allows(JWSAlgorithm alg) {
    return algorithms.isEmpty() || algorithms.contains(alg);
  }

  /** Reads a provider from {@code node} (the config root or a {@code providers[i]} entry). */
  static ProviderConfig parse(ConfigNode node) {
    String issuer = node.string("issuer");
    List<String> audiences = node.strings("audiences");
    URI jwksUri = null;
    KeySet inline = null;
    boolean hasUri = node.has("jwksUri");
    boolean hasInline = node.has("jwks");
    if (hasUri == hasInline) {
      throw node.invalid(
          hasUri
              ? "both jwksUri and jwks (expected: one of them)"
              : "no keys (expected: jwksUri or jwks)");
    }
    if (hasUri) {
      ConfigNode uriNode = node.get("jwksUri");
      try {
        jwksUri = URI.create(uriNode.asString());
      } catch (IllegalArgumentException e) {
        throw uriNode.invalid("'" + uriNode.asString() + "' (expected: an http or https URI)");
      }
      if (jwksUri.getHost() == null
          || !("http".equals(jwksUri.getScheme()) || "https".equals(jwksUri.getScheme()))) {
        throw uriNode.invalid("'" + uriNode.asString() + "' (expected: an http or https URI)");
      }
    } else {
      ConfigNode jwks = node.get("jwks");
      String json =
          jwks.raw() instanceof String s ? s : JSONObjectUtils.toJSONString(jsonObject(jwks));
      try {
        inline = KeySet.parse(json, true);
      } catch (IllegalArgumentException e) {
        throw jwks.invalid(e.getMessage() + " (expected: a JWK set or JWK with public keys)");
      }
    }
    Duration skew =
        node.find("clockSkew")
            .map(n -> n.asDuration(Duration.ZERO, MAX_CLOCK_SKEW))
            .orElse(DEFAULT_CLOCK_SKEW);
    Duration maxLifetime =
        node.find("maxLifetime").map(ConfigNode::asPositiveDuration).orElse(null);
    Map<String, List<String>> required =
        node.find("requiredClaims")
            .map(claims -> claims.asMap(v -> v.asListOrSingle(ConfigNode::asText)))
            .orElse(Map.of());
    Duration cache =
        node.find("jwksCacheDuration")
            .map(n -> n.asDurationAtLeast(MIN_JWKS_CACHE_DURATION))
            .orElse(DEFAULT_JWKS_CACHE_DURATION);
    Duration timeout =
        node.find("jwksFetchTimeout")
            .map(ConfigNode::asPositiveDuration)
            .orElse(DEFAULT_JWKS_FETCH_TIMEOUT);
    Duration refetch = node.duration("jwksRefetchInterval", DEFAULT_JWKS_REFETCH_INTERVAL);
    List<JWSAlgorithm> algorithms = algorithms(node, inline);
    return new ProviderConfig(
        issuer,
        audiences,
        jwksUri,
        inline,
        skew,
        node.bool("requireExpiration", true),
        maxLifetime,
        required,
        cache,
        timeout,
        refetch,
        algorithms);
  }

  /**
   * Reads {@code algorithms}: JWS names this plugin verifies, each fitting at least one of the
   * inline keys when the keys are given inline (keys fetched from a URI are known only later).
   */
  private static List<JWSAlgorithm> algorithms(ConfigNode node, KeySet inline) {
    if (!node.has("algorithms")) {
      return List.of();
    }
    List<ConfigNode> entries = node.get("algorithms").asList();
    if (entries.isEmpty()) {
      throw node.get("algorithms").invalid("empty (expected: at least one algorithm, or no field)");
    }
    List<JWSAlgorithm> out = new ArrayList<>();
    for (ConfigNode entry : entries) {
      String name = entry.asString();
      JWSAlgorithm alg = JWSAlgorithm.parse(name);
      if (!KeySet.SUPPORTED.contains(alg)) {
        throw entry.invalid("'" + name + "' (expected: one of " + names(KeySet.ALGORITHMS) + ")");
      }
      if (out.contains(alg)) {
        throw entry.invalid("'" + name + "' appears twice (expected: once)");
      }
      if (inline != null && inline.keys().stream().noneMatch(k -> KeySet.fits(k, alg))) {
        List<JWSAlgorithm> fitting =
            KeySet.ALGORITHMS.stream()
                .filter(a -> inline.keys().stream().anyMatch(k -> KeySet.fits(k, a)))
                .toList();
        throw entry.invalid(
            "'"
                + name
                + "' fits none of the keys in jwks (expected: an algorithm of their types: "
                + names(fitting)
                + ")");
      }
      out.add(alg);
    }
    return out;
  }

  private static String names(List<JWSAlgorithm> algorithms) {
    return String.join(", ", algorithms.stream().map(JWSAlgorithm::getName).toList());
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> jsonObject(ConfigNode node) {
    if (!(node.raw() instanceof Map<?, ?> map)) {
      throw node.invalid("not an object (expected: a JWK set, a JWK, or JSON text)");
    }
    return (Map<String, Object>) map;
  }
}
