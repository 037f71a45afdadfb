package io.plugmesh.kernel.cluster;

import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.plugmesh.config.CircuitBreakerConfig;
import io.plugmesh.config.ClusterConfig;
import io.plugmesh.config.EndpointConfig;
import io.plugmesh.config.OutlierDetectionConfig;
import io.plugmesh.filters.advanced.UpstreamException;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The live resilience state of one cluster, kept across config versions: circuit-breaker counters,
 * passive (outlier) ejections and active health-check results per endpoint address.
 */
public final class ClusterHealth implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ClusterHealth.class);

  private final String name;
  private final AtomicInteger connections = new AtomicInteger();
  private final AtomicInteger pending = new AtomicInteger();
  private final AtomicInteger active = new AtomicInteger();
  private final AtomicInteger retries = new AtomicInteger();
  private final Map<String, EndpointState> states = new ConcurrentHashMap<>();
  private volatile ClusterConfig config;
  private volatile int flagged;
  private HealthChecker checker;

  ClusterHealth(String name) {
    this.name = name;
  }

  /** Takes a new version of the cluster's config; state of kept endpoints survives. */
  synchronized void update(ClusterConfig next, EventLoopGroup group, Class<? extends Channel> cls) {
    this.config = next;
    Set<String> addresses = new HashSet<>();
    for (EndpointConfig e : next.endpoints()) {
      addresses.add(e.address());
      states.computeIfAbsent(e.address(), a -> new EndpointState());
    }
    states.keySet().retainAll(addresses);
    if (checker != null) {
      checker.close();
      checker = null;
    }
    if (next.healthCheck() != null && group != null) {
      checker = new HealthChecker(this, next.healthCheck(), next.endpoints(), group, cls);
    } else {
      states.values().forEach(s -> s.activeHealthy = true);
    }
    recount();
  }

  /**
   * The cluster name.
   *
   * @return the name
   */
  public String name() {
    return name;
  }

  // ------------------------------------------------------------------------------------------
  // Availability

  /**
   * Whether any endpoint may currently be unavailable (a fast pre-check for the load balancer).
   *
   * @return true if some endpoint is unhealthy or ejected
   */
  public boolean anyUnavailable() {
    return flagged > 0;
  }

  /**
   * Whether an endpoint may get traffic: healthy by active checks and not ejected.
   *
   * @param endpoint the endpoint
   * @return true if available
   */
  public boolean available(Endpoint endpoint) {
    EndpointState s = states.get(endpoint.address());
    if (s == null) {
      return true;
    }
    long until = s.ejectedUntil;
    if (until != 0 && System.nanoTime() - until >= 0) {
      synchronized (this) {
        if (s.ejectedUntil == until) {
          s.ejectedUntil = 0;
          log.info("cluster '{}': endpoint {} returns from ejection", name, endpoint.address());
          recount();
        }
      }
    }
    return s.activeHealthy && s.ejectedUntil == 0;
  }

  /**
   * Chooses an available endpoint, avoiding {@code tried} when another available one exists.
   *
   * @param lb the cluster's load balancer
   * @param tried endpoints earlier attempts used
   * @return an endpoint, or null when none is available
   */
  public Endpoint choose(LoadBalancer lb, Set<Endpoint> tried) {
    if (!anyUnavailable()) {
      return lb.choose(tried);
    }
    List<Endpoint> all = lb.endpoints();
    Set<Endpoint> unavailable = new HashSet<>();
    for (Endpoint e : all) {
      if (!available(e)) {
        unavailable.add(e);
      }
    }
    if (unavailable.size() == all.size()) {
      return null;
    }
    Set<Endpoint> avoid = new HashSet<>(unavailable);
    avoid.addAll(tried);
    Endpoint chosen = lb.choose(avoid);
    if (chosen != null && unavailable.contains(chosen)) {
      chosen = lb.choose(unavailable);
    }
    return chosen != null && unavailable.contains(chosen) ? null : chosen;
  }

  // ------------------------------------------------------------------------------------------
  // Circuit breakers

  private CircuitBreakerConfig breaker() {
    ClusterConfig c = config;
    return c == null ? CircuitBreakerConfig.DEFAULTS : c.circuitBreaker();
  }

  /**
   * Admits an attempt, or explains the overflow.
   *
   * @param retry whether this is a second or later attempt
   * @return null when admitted (call {@link #requestFinished}), else the refusal
   */
  public UpstreamException startRequest(boolean retry) {
    CircuitBreakerConfig b = breaker();
    if (active.incrementAndGet() > b.maxRequests()) {
      active.decrementAndGet();
      return overflow("maxRequests " + b.maxRequests());
    }
    if (retry && retries.incrementAndGet() > b.maxRetries()) {
      retries.decrementAndGet();
      active.decrementAndGet();
      return overflow("maxRetries " + b.maxRetries());
    }
    return null;
  }

  /**
   * Ends an admitted attempt.
   *
   * @param retry as passed to {@link #startRequest}
   */
  public void requestFinished(boolean retry) {
    active.decrementAndGet();
    if (retry) {
      retries.decrementAndGet();
    }
  }

  /**
   * Admits an attempt to wait for a connection.
   *
   * @return null when admitted (call {@link #pendingFinished}), else the refusal
   */
  public UpstreamException startPending() {
    CircuitBreakerConfig b = breaker();
    if (pending.incrementAndGet() > b.maxPendingRequests()) {
      pending.decrementAndGet();
      return overflow("maxPendingRequests " + b.maxPendingRequests());
    }
    return null;
  }

  /** Ends a wait for a connection. */
  public void pendingFinished() {
    pending.decrementAndGet();
  }

  /**
   * Admits a new upstream connection.
   *
   * @return true when admitted (call {@link #connectionClosed} when it closes)
   */
  public boolean tryOpenConnection() {
    if (connections.incrementAndGet() > breaker().maxConnections()) {
      connections.decrementAndGet();
      return false;
    }
    return true;
  }

  /** A connection admitted by {@link #tryOpenConnection} closed. */
  public void connectionClosed() {
    connections.decrementAndGet();
  }

  /**
   * The open-connection bound, for error messages.
   *
   * @return maxConnections
   */
  public int maxConnections() {
    return breaker().maxConnections();
  }

  private UpstreamException overflow(String which) {
    return new UpstreamException(
        UpstreamException.Kind.OVERFLOW,
        "cluster '" + name + "' circuit breaker open (" + which + ")");
  }

  // ------------------------------------------------------------------------------------------
  // Outlier detection

  /**
   * Records an attempt's outcome for outlier detection.
   *
   * @param endpoint the endpoint
   * @param status the response status, or 0 when the attempt failed before a response
   * @param failure the failure kind when status is 0
   */
  public void onResult(Endpoint endpoint, int status, UpstreamException.Kind failure) {
    ClusterConfig c = config;
    OutlierDetectionConfig od = c == null ? null : c.outlierDetection();
    if (od == null) {
      return;
    }
    EndpointState s = states.get(endpoint.address());
    if (s == null) {
      return;
    }
    boolean local =
        status == 0
            && failure != UpstreamException.Kind.OVERFLOW
            && failure != UpstreamException.Kind.NO_HEALTHY_UPSTREAM;
    if (status == 0 && !local) {
      return;
    }
    boolean is5xx = local || status >= 500;
    boolean gateway = local || status == 502 || status == 503 || status == 504;
    int fives = is5xx ? s.consecutive5xx.incrementAndGet() : resetTo0(s.consecutive5xx);
    int gates = gateway ? s.consecutiveGateway.incrementAndGet() : resetTo0(s.consecutiveGateway);
    boolean trip =
        (od.consecutive5xx() > 0 && fives >= od.consecutive5xx())
            || (od.consecutiveGatewayErrors() > 0 && gates >= od.consecutiveGatewayErrors());
    if (trip) {
      eject(endpoint, s, od);
    }
  }

  private static int resetTo0(AtomicInteger counter) {
    counter.set(0);
    return 0;
  }

  private synchronized void eject(Endpoint endpoint, EndpointState s, OutlierDetectionConfig od) {
    if (s.ejectedUntil != 0) {
      return;
    }
    long now = System.nanoTime();
    int ejected = 0;
    for (EndpointState other : states.values()) {
      if (other.ejectedUntil != 0 && other.ejectedUntil - now > 0) {
        ejected++;
      }
    }
    int total = states.size();
    boolean allowed =
        total > 1 && (ejected == 0 || (ejected + 1) * 100 <= od.maxEjectionPercent() * total);
    if (!allowed) {
      return;
    }
    s.ejections++;
    long nanos =
        Math.min(od.baseEjectionTime().toNanos() * s.ejections, od.maxEjectionTime().toNanos());
    s.ejectedUntil = now + Math.max(1, nanos);
    s.consecutive5xx.set(0);
    s.consecutiveGateway.set(0);
    log.warn(
        "cluster '{}': endpoint {} ejected for {} ms (ejection #{})",
        name,
        endpoint.address(),
        nanos / 1_000_000,
        s.ejections);
    recount();
  }

  // ------------------------------------------------------------------------------------------
  // Active health checks

  /** Called by the health checker with one probe's result. */
  synchronized void probed(String address, boolean ok, String detail) {
    EndpointState s = states.get(address);
    ClusterConfig c = config;
    if (s == null || c == null || c.healthCheck() == null) {
      return;
    }
    if (ok) {
      s.probeFailures = 0;
      s.probeSuccesses++;
      if (!s.activeHealthy && s.probeSuccesses >= c.healthCheck().healthyThreshold()) {
        s.activeHealthy = true;
        log.info("cluster '{}': endpoint {} is healthy again", name, address);
        recount();
      }
    } else {
      s.probeSuccesses = 0;
      s.probeFailures++;
      if (s.activeHealthy && s.probeFailures >= c.healthCheck().unhealthyThreshold()) {
        s.activeHealthy = false;
        log.warn("cluster '{}': endpoint {} is unhealthy: {}", name, address, detail);
        recount();
      }
    }
  }

  private void recount() {
    int n = 0;
    for (EndpointState s : states.values()) {
      if (!s.activeHealthy || s.ejectedUntil != 0) {
        n++;
      }
    }
    flagged = n;
  }

  @Override
  public synchronized void close() {
    if (checker != null) {
      checker.close();
      checker = null;
    }
  }

  /** Per-endpoint health. */
  private static final class EndpointState {
    volatile boolean activeHealthy = true;
    volatile long ejectedUntil;
    int ejections;
    int probeSuccesses;
    int probeFailures;
    final AtomicInteger consecutive5xx = new AtomicInteger();
    final AtomicInteger consecutiveGateway = new AtomicInteger();
  }
}
