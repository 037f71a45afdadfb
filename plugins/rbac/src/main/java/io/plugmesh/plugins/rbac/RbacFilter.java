package io.plugmesh.plugins.rbac;

import static java.util.Objects.requireNonNull;

import io.plugmesh.filters.FilterMetrics;
import io.plugmesh.filters.FilterServices;
import io.plugmesh.filters.Headers;
import io.plugmesh.filters.HeadersFilter;
import io.plugmesh.filters.ProxyRequest;
import io.plugmesh.filters.ProxyResponse;
import io.plugmesh.filters.RequestDecision;
import io.plugmesh.filters.advanced.ResponseFlag;
import java.lang.System.Logger.Level;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Decides whether a request may go on, on its {@linkplain ProxyRequest#normalizedPath() normalized
 * path} (a path without a normal form is refused): a matching deny rule refuses it; otherwise, when
 * allow rules exist, one must match. Refusals are 403 with a body naming the rule.
 *
 * <p>Counts {@code allowed}, {@code denied} and {@code shadow_denied} per policy (rule name, or
 * {@value #DEFAULT_POLICY} when no rule decided). A refusal counts as {@code denied} when its
 * response is read to be sent, and as {@code shadow_denied} when the proxy drops it unread, which
 * is what shadow mode does.
 */
final class RbacFilter implements HeadersFilter {

  /** The policy tag when no rule matched and the default decided. */
  static final String DEFAULT_POLICY = "default";

  /** The policy tag of requests refused because their path has no normal form. */
  static final String UNNORMALIZABLE_POLICY = "path-not-normalizable";

  private final RbacConfig config;
  private final boolean defaultDeny;
  private final String route;
  private final System.Logger log;
  private final Map<String, FilterMetrics.Counter> allowed = new HashMap<>();
  private final Map<String, FilterMetrics.Counter> denied = new HashMap<>();
  private final Map<String, FilterMetrics.Counter> shadowDenied = new HashMap<>();

  RbacFilter(RbacConfig config, FilterServices services) {
    this.config = requireNonNull(config, "config");
    this.defaultDeny = config.hasAllowRules();
    this.route = services.routeName();
    this.log = services.logger();
    FilterMetrics metrics = services.metrics();
    for (Rule rule : config.rules()) {
      register(metrics, rule.name());
    }
    register(metrics, DEFAULT_POLICY);
    register(metrics, UNNORMALIZABLE_POLICY);
  }

  private void register(FilterMetrics metrics, String policy) {
    allowed.put(policy, metrics.counter("allowed", "policy", policy));
    denied.put(policy, metrics.counter("denied", "policy", policy));
    shadowDenied.put(policy, metrics.counter("shadow_denied", "policy", policy));
  }

  @Override
  public RequestDecision onRequest(ProxyRequest request) {
    Optional<String> normalized = request.normalizedPath();
    if (normalized.isEmpty()) {
      return deny(
          request,
          UNNORMALIZABLE_POLICY,
          "the request path cannot be authorized (it has no normal form)");
    }
    String path = normalized.get();
    Rule firstAllow = null;
    for (Rule rule : config.rules()) {
      if (rule.effect() == Rule.Effect.DENY) {
        if (rule.condition().matches(request, path)) {
          return deny(request, rule.name(), "denied by rbac rule '" + rule.name() + "'");
        }
      } else if (firstAllow == null && rule.condition().matches(request, path)) {
        firstAllow = rule;
      }
    }
    if (firstAllow != null) {
      allowed.get(firstAllow.name()).increment();
      return RequestDecision.proceed();
    }
    if (defaultDeny) {
      return deny(request, DEFAULT_POLICY, "no rbac rule allows this request");
    }
    allowed.get(DEFAULT_POLICY).increment();
    return RequestDecision.proceed();
  }

  private RequestDecision deny(ProxyRequest request, String policy, String why) {
    request.context().addResponseFlag(ResponseFlag.UNAUTHORIZED);
    if (log.isLoggable(Level.DEBUG)) {
      log.log(
          Level.DEBUG,
          "request {0} on route {1}: {2} {3}: {4}",
          request.context().requestId(),
          route,
          request.method(),
          request.path(),
          why);
    }
    ProxyResponse body = ProxyResponse.of(403, "forbidden: " + why + " on route '" + route + "'\n");
    return RequestDecision.respond(new Denial(body, denied.get(policy), shadowDenied.get(policy)));
  }

  /**
   * A 403 that counts itself once: as denied when read for sending, as shadow-denied when dropped
   * unread.
   */
  private static final class Denial implements ProxyResponse {
    private final ProxyResponse delegate;
    private final FilterMetrics.Counter denied;
    private final FilterMetrics.Counter shadowDenied;
    private final AtomicBoolean counted = new AtomicBoolean();

    Denial(ProxyResponse delegate, FilterMetrics.Counter denied, FilterMetrics.Counter shadow) {
      this.delegate = delegate;
      this.denied = denied;
      this.shadowDenied = shadow;
    }

    @Override
    public int status() {
      return delegate.status();
    }

    @Override
    public Headers headers() {
      return delegate.headers();
    }

    @Override
    public boolean fromUpstream() {
      return false;
    }

    @Override
    public Optional<byte[]> localBody() {
      if (counted.compareAndSet(false, true)) {
        denied.increment();
      }
      return delegate.localBody();
    }

    @Override
    public void discard() {
      if (counted.compareAndSet(false, true)) {
        shadowDenied.increment();
      }
    }

    @Override
    public String toString() {
      return "rbac denial " + delegate;
    }
  }
}
