package io.plugmesh.demo;

/**
 * The demo's desired state, written to the control service's file store: the frontend sidecar's
 * outbound listener sends everything to the reviews sidecar's inbound listener, whose routes run
 * every bundled plugin in front of the sample services.
 */
final class DemoConfig {
  /** The node id and service of the caller's sidecar. */
  static final String FRONTEND = "frontend";

  /** The node id and service of the callee's sidecar. */
  static final String REVIEWS = "reviews";

  /** Requests a minute of the {@code x-plan: free} callers on route {@code reviews}. */
  static final int FREE_PLAN_PER_MINUTE = 3;

  /** Upstream attempts of route {@code ratings} (the first included). */
  static final int RATINGS_ATTEMPTS = 3;

  private DemoConfig() {}

  /**
   * The store document.
   *
   * @param ports the demo ports
   * @param jwks the public JWK set, JSON
   * @param reviewsV1 {@code host:port} of reviews-v1
   * @param reviewsV2 {@code host:port} of reviews-v2
   * @param ratings {@code host:port} of the flaky ratings service
   * @return YAML
   */
  static String yaml(
      DemoPorts ports, String jwks, String reviewsV1, String reviewsV2, String ratings) {
    String authn =
        "{name: authn-jwt, config: {issuer: \"%s\", audiences: [%s], jwks: %s,"
                .formatted(DemoTokens.ISSUER, DemoTokens.AUDIENCE, jwks)
            + " claimsToHeaders: [{claim: sub, header: x-demo-user}]}}";
    String tracing =
        "{name: tracing, config: {serviceName: %s-sidecar, exporter: {protocol: none}}}";
    return """
        # The plugmesh demo mesh. Selectors send each resource to the sidecar of one service.
        listeners:
          - {name: outbound, address: "%1$s:%2$d", selector: {service: %3$s}}
          - {name: inbound, address: "%1$s:%4$d", selector: {service: %5$s}}
        clusters:
          - {name: reviews-mesh, endpoints: [{address: "%1$s:%4$d"}], selector: {service: %3$s}}
          - {name: reviews-v1, endpoints: [{address: "%6$s"}], selector: {service: %5$s}}
          - {name: reviews-v2, endpoints: [{address: "%7$s"}], selector: {service: %5$s}}
          - {name: ratings, endpoints: [{address: "%8$s"}], selector: {service: %5$s}}
        routes:
          - name: outbound
            selector: {service: %3$s}
            match: {pathPrefix: /}
            cluster: reviews-mesh
            timeout: 5s
            plugins:
              - %9$s
          - name: ratings
            selector: {service: %5$s}
            match: {pathPrefix: /ratings}
            cluster: ratings
            timeout: 3s
            plugins:
              - %10$s
              - %11$s
              - {name: retry, config: {attempts: %12$d, retryOn: [gateway-error], backoff: {base: 10ms}}}
          - name: reviews
            selector: {service: %5$s}
            match: {pathPrefix: /reviews}
            backends: [{cluster: reviews-v1, weight: 90}, {cluster: reviews-v2, weight: 10}]
            timeout: 3s
            plugins:
              - %10$s
              - %11$s
              - {name: rbac, config: {rules: [{name: readers, allow: {claims: {scope: reviews.read}}}]}}
              - name: ratelimit
                config:
                  key: [claim:sub, "header:x-plan"]
                  limits: [{name: standard, tokens: 1000, per: 1s}]
                  overrides:
                    - match: {"header:x-plan": free}
                      limits: [{name: free, tokens: %13$d, per: 1m, refill: interval}]
              - {name: fault, config: {headers: {x-fault: "on"}, abort: {httpStatus: 503}}}
              - {name: retry, config: {attempts: 2}}
        """
        .formatted(
            DemoPorts.HOST,
            ports.outbound(),
            FRONTEND,
            ports.inbound(),
            REVIEWS,
            reviewsV1,
            reviewsV2,
            ratings,
            tracing.formatted(FRONTEND),
            tracing.formatted(REVIEWS),
            authn,
            RATINGS_ATTEMPTS,
            FREE_PLAN_PER_MINUTE);
  }
}
