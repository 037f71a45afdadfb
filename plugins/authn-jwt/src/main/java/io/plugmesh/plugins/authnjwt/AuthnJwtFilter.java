package io.plugmesh.plugins.authnjwt;

import static java.util.Objects.requireNonNull;

import io.plugmesh.filters.ContextKeys;
import io.plugmesh.filters.Filter;
import io.plugmesh.filters.FilterChain;
import io.plugmesh.filters.FilterMetrics;
import io.plugmesh.filters.FilterServices;
import io.plugmesh.filters.ProxyRequest;
import io.plugmesh.filters.ProxyResponse;
import io.plugmesh.filters.advanced.Principal;
import io.plugmesh.filters.advanced.ResponseFlag;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Authenticates a request by its JWT: finds the token, checks its shape, picks the provider by
 * {@code iss}, verifies the signature with a key that fits the algorithm and the claims, then puts
 * the {@link Principal} in the request context, copies configured claims to headers and strips the
 * token unless told to forward it. Anything else is answered with 401 (or 403 for a wrong audience
 * when configured) and {@code WWW-Authenticate: Bearer error="invalid_token"}.
 *
 * <p>Decides on the calling thread when the keys are at hand, which is the normal case; waits
 * (asynchronously) only for the first fetch of a JWKS or a refetch for an unknown key id.
 */
final class AuthnJwtFilter implements Filter {

  private final AuthnJwtConfig config;
  private final Map<String, Provider> providers;
  private final Clock clock;
  private final System.Logger log;
  private final Map<String, FilterMetrics.Counter> allowed = new HashMap<>();
  private final Map<Rejection, FilterMetrics.Counter> denied = new EnumMap<>(Rejection.class);
  private final FilterMetrics.Counter missingAllowed;
  private final FilterMetrics.Counter claimHeadersSkipped;

  AuthnJwtFilter(AuthnJwtConfig config, List<Provider> providers, FilterServices services) {
    this.config = requireNonNull(config, "config");
    Map<String, Provider> byIssuer = new HashMap<>();
    FilterMetrics metrics = services.metrics();
    for (Provider provider : providers) {
      String issuer = provider.config().issuer();
      byIssuer.put(issuer, provider);
      allowed.put(issuer, metrics.counter("allowed", "issuer", issuer));
    }
    this.providers = Map.copyOf(byIssuer);
    for (Rejection rejection : Rejection.values()) {
      denied.put(rejection, metrics.counter("denied", "reason", rejection.tag()));
    }
    this.missingAllowed = metrics.counter("missing_allowed");
    this.claimHeadersSkipped = metrics.counter("claim_headers_skipped");
    this.clock = services.clock();
    this.log = services.logger();
  }

  @Override
  public CompletionStage<ProxyResponse> filter(ProxyRequest request, FilterChain chain) {
    for (AuthnJwtConfig.ClaimHeader claimHeader : config.claimsToHeaders()) {
      request.headers().remove(claimHeader.header()); // never trust a client's copy
    }
    String token = null;
    TokenSource tokenSource = null;
    for (TokenSource source : config.sources()) {
      List<String> found = source.find(request);
      if (found.size() > 1) {
        return refuse(request, Rejection.AMBIGUOUS);
      }
      if (found.isEmpty()) {
        continue;
      }
      if (token == null) {
        token = found.get(0);
        tokenSource = source;
      } else if (!token.equals(found.get(0))) {
        // The same token in two places is one credential; two different ones are refused (as
        // Kong does) rather than one checked and the other passed on or dropped unchecked.
        return refuse(
            request,
            Rejection.SEVERAL_LOCATIONS,
            tokenSource.describe() + " and " + source.describe());
      }
    }
    if (token == null) {
      if (config.allowMissing()) {
        missingAllowed.increment();
        return chain.proceed(request);
      }
      return refuse(request, Rejection.MISSING);
    }
    TokenParser.Result result = TokenParser.parse(token, config.maxTokenBytes());
    if (result instanceof TokenParser.Refused refused) {
      return refuse(request, refused.rejection());
    }
    TokenParser.Parsed parsed = (TokenParser.Parsed) result;
    Object iss = parsed.claims().getClaim("iss");
    Provider provider = iss instanceof String issuer ? providers.get(issuer) : null;
    if (provider == null) {
      return refuse(request, Rejection.WRONG_ISSUER);
    }
    KeySet keys = provider.keys().current();
    if (keys != null) {
      return decide(request, chain, provider, parsed, keys, true);
    }
    return provider
        .keys()
        .awaitKeys()
        .thenCompose(
            fetched ->
                fetched == null
                    ? refuse(request, Rejection.KEYS_UNAVAILABLE)
                    : decide(request, chain, provider, parsed, fetched, true));
  }

  private CompletionStage<ProxyResponse> decide(
      ProxyRequest request,
      FilterChain chain,
      Provider provider,
      TokenParser.Parsed parsed,
      KeySet keys,
      boolean mayRefetch) {
    Provider.Verdict verdict = provider.verify(parsed, keys, clock.instant());
    if (verdict instanceof Provider.Accepted accepted) {
      return accept(request, chain, provider, accepted.principal());
    }
    if (verdict instanceof Provider.Refused refused) {
      return refuse(request, refused.rejection());
    }
    if (!mayRefetch) {
      return refuse(request, Rejection.UNKNOWN_KID);
    }
    return provider
        .keys()
        .refetchForUnknownKey()
        .thenCompose(
            fetched ->
                fetched == null
                    ? refuse(request, Rejection.KEYS_UNAVAILABLE)
                    : decide(request, chain, provider, parsed, fetched, false));
  }

  private CompletionStage<ProxyResponse> accept(
      ProxyRequest request, FilterChain chain, Provider provider, Principal principal) {
    request.context().put(ContextKeys.PRINCIPAL, principal);
    for (AuthnJwtConfig.ClaimHeader claimHeader : config.claimsToHeaders()) {
      Object value = principal.claims().get(claimHeader.claim());
      if (value == null) {
        continue;
      }
      String text = ClaimValues.headerText(value);
      if (text == null) {
        claimHeadersSkipped.increment();
        continue;
      }
      request.headers().set(claimHeader.header(), text);
    }
    if (!config.forward()) {
      for (TokenSource source : config.sources()) {
        source.strip(request);
      }
    }
    allowed.get(provider.config().issuer()).increment();
    return chain.proceed(request);
  }

  private CompletionStage<ProxyResponse> refuse(ProxyRequest request, Rejection rejection) {
    return refuse(request, rejection, null);
  }

  /**
   * Answers 401 (or 403), with {@code detail} (or nothing when null) after the rejection's
   * description.
   */
  private CompletionStage<ProxyResponse> refuse(
      ProxyRequest request, Rejection rejection, String detail) {
    String description =
        detail == null
            ? rejection.description()
            : rejection.description() + ": " + quotable(detail);
    denied.get(rejection).increment();
    request.context().addResponseFlag(ResponseFlag.UNAUTHORIZED);
    int status = rejection == Rejection.WRONG_AUDIENCE ? config.audienceFailureStatus() : 401;
    String challenge =
        rejection == Rejection.MISSING
            ? "Bearer"
            : "Bearer error=\"invalid_token\", error_description=\"" + description + "\"";
    if (log.isLoggable(Level.DEBUG)) {
      log.log(
          Level.DEBUG,
          "request {0} on route {1}: {2}",
          request.context().requestId(),
          request.context().routeName(),
          description);
    }
    return CompletableFuture.completedFuture(
        ProxyResponse.builder(status)
            .header("www-authenticate", challenge)
            .header("content-type", "text/plain; charset=utf-8")
            .body((status == 401 ? "unauthorized: " : "forbidden: ") + description + "\n")
            .build());
  }

  /**
   * {@code text} as allowed in an {@code error_description} (RFC 6750 3: printable ASCII without
   * {@code "} and {@code \}); anything else becomes {@code ?}.
   */
  private static String quotable(String text) {
    StringBuilder out = new StringBuilder(text.length());
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      out.append(c >= 0x20 && c <= 0x7e && c != '"' && c != '\\' ? c : '?');
    }
    return out.toString();
  }
}
