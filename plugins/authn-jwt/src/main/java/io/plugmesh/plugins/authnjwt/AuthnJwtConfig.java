package io.plugmesh.plugins.authnjwt;

import static java.util.Objects.requireNonNull;

import io.plugmesh.filters.ConfigNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The authn-jwt configuration of one route.
 *
 * @param providers the trusted issuers, at most one per issuer
 * @param sources where tokens are looked for, in order
 * @param claimsToHeaders claims copied to request headers after success
 * @param forward whether the token stays in the request sent upstream
 * @param allowMissing whether requests without a token pass unauthenticated
 * @param audienceFailureStatus 401 or 403 for a token with no accepted audience
 * @param maxTokenBytes the largest token accepted
 */
record AuthnJwtConfig(
    List<ProviderConfig> providers,
    List<TokenSource> sources,
    List<ClaimHeader> claimsToHeaders,
    boolean forward,
    boolean allowMissing,
    int audienceFailureStatus,
    int maxTokenBytes) {

  /** Default largest token, in bytes. */
  static final int DEFAULT_MAX_TOKEN_BYTES = 8192;

  /** Headers a claim may not be copied to. */
  private static final Set<String> RESERVED_HEADERS =
      Set.of("cookie", "host", "content-length", "transfer-encoding", "connection", "te");

  /** Fields that describe a provider when written at the top level. */
  private static final List<String> PROVIDER_FIELDS =
      List.of(
          "issuer",
          "audiences",
          "jwksUri",
          "jwks",
          "clockSkew",
          "requireExpiration",
          "maxLifetime",
          "requiredClaims",
          "jwksCacheDuration",
          "jwksFetchTimeout",
          "jwksRefetchInterval",
          "algorithms");

  /**
   * A claim copied to a request header.
   *
   * @param claim the claim name
   * @param header the header name, lower case
   */
  record ClaimHeader(String claim, String header) {
    ClaimHeader {
      requireNonNull(claim, "claim");
      requireNonNull(header, "header");
    }
  }

  AuthnJwtConfig {
    providers = List.copyOf(providers);
    sources = List.copyOf(sources);
    claimsToHeaders = List.copyOf(claimsToHeaders);
  }

  /**
   * Parses a route's config.
   *
   * @param node the {@code config} object
   * @return the config
   * @throws io.plugmesh.filters.ConfigException naming the field
   */
  static AuthnJwtConfig parse(ConfigNode node) {
    List<ProviderConfig> providers = new ArrayList<>();
    boolean topLevel = PROVIDER_FIELDS.stream().anyMatch(node::has);
    if (node.has("providers")) {
      if (topLevel) {
        String field = PROVIDER_FIELDS.stream().filter(node::has).findFirst().orElseThrow();
        throw node.get(field)
            .invalid("given next to providers (expected: provider fields inside providers[])");
      }
      providers.addAll(node.list("providers", ProviderConfig::parse));
    } else if (topLevel) {
      providers.add(ProviderConfig.parse(node));
    } else {
      throw node.invalid("no provider (expected: issuer with jwksUri or jwks, or providers)");
    }
    Set<String> issuers = new HashSet<>();
    for (int i = 0; i < providers.size(); i++) {
      if (!issuers.add(providers.get(i).issuer())) {
        throw node.get("providers")
            .asList()
            .get(i)
            .get("issuer")
            .invalid(
                "'" + providers.get(i).issuer() + "' appears twice (expected: one per issuer)");
      }
    }

    List<TokenSource> sources =
        new ArrayList<>(
            node.list(
                "fromHeaders",
                header ->
                    new TokenSource.Header(
                        header.string("name").toLowerCase(Locale.ROOT),
                        header.string("prefix", ""))));
    node.strings("fromCookies").forEach(c -> sources.add(new TokenSource.Cookie(c)));
    node.strings("fromParams").forEach(p -> sources.add(new TokenSource.Query(p)));
    if (sources.isEmpty()) {
      sources.add(TokenSource.BEARER);
    }

    List<ClaimHeader> claimHeaders = new ArrayList<>();
    Set<String> headerNames = new HashSet<>();
    for (ConfigNode entry : node.list("claimsToHeaders")) {
      String header = entry.string("header").toLowerCase(Locale.ROOT);
      if (!headerNames.add(header)) {
        throw entry.get("header").invalid("'" + header + "' appears twice (expected: once)");
      }
      boolean carriesToken =
          sources.stream()
              .anyMatch(s -> s instanceof TokenSource.Header h && h.name().equals(header));
      if (carriesToken || RESERVED_HEADERS.contains(header) || header.startsWith(":")) {
        throw entry
            .get("header")
            .invalid("'" + header + "' (expected: a header that carries no token and no routing)");
      }
      claimHeaders.add(new ClaimHeader(entry.string("claim"), header));
    }

    int status = node.integer("audienceFailureStatus", 401);
    if (status != 401 && status != 403) {
      throw node.get("audienceFailureStatus").invalid(status + " (expected: 401 or 403)");
    }
    return new AuthnJwtConfig(
        providers,
        sources,
        claimHeaders,
        node.bool("forward", false),
        node.bool("allowMissing", false),
        status,
        node.integer("maxTokenBytes", DEFAULT_MAX_TOKEN_BYTES));
  }
}
