package io.plugmesh.kernel.chain;

import io.plugmesh.filters.ContextKey;
import io.plugmesh.filters.RequestContext;
import io.plugmesh.filters.advanced.ResponseFlag;
import io.plugmesh.filters.advanced.UpstreamAttemptListener;
import io.plugmesh.kernel.upstream.OutboundRequest;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/** The {@link RequestContext} of one exchange; confined to the exchange's event loop. */
public final class KernelRequestContext implements RequestContext {
  /** Attributes per request are few; a bound stops a runaway plugin from growing a map forever. */
  static final int MAX_ATTRIBUTES = 64;

  /** Upstream attempt listeners per request. */
  static final int MAX_ATTEMPT_LISTENERS = OutboundRequest.MAX_ATTEMPT_LISTENERS;

  private final String requestId;
  private final String routeName;
  private final Map<ContextKey<?>, Object> attributes = new IdentityHashMap<>(8);
  private final Set<ResponseFlag> flags = EnumSet.noneOf(ResponseFlag.class);
  private List<UpstreamAttemptListener> attemptListeners;

  /**
   * Creates the context of one request.
   *
   * @param requestId the request id
   * @param routeName the matched route
   */
  public KernelRequestContext(String requestId, String routeName) {
    this.requestId = requestId;
    this.routeName = routeName;
  }

  @Override
  public <T> Optional<T> get(ContextKey<T> key) {
    return Optional.ofNullable(key.type().cast(attributes.get(key)));
  }

  @Override
  public <T> void put(ContextKey<T> key, T value) {
    if (!attributes.containsKey(key) && attributes.size() >= MAX_ATTRIBUTES) {
      throw new IllegalStateException(
          "request context holds " + MAX_ATTRIBUTES + " attributes (expected: fewer)");
    }
    attributes.put(key, key.type().cast(java.util.Objects.requireNonNull(value, "value")));
  }

  @Override
  public String requestId() {
    return requestId;
  }

  @Override
  public String routeName() {
    return routeName;
  }

  @Override
  public synchronized void addResponseFlag(ResponseFlag flag) {
    flags.add(flag);
  }

  @Override
  public Set<ResponseFlag> responseFlags() {
    return flags();
  }

  @Override
  public void onUpstreamAttempt(UpstreamAttemptListener listener) {
    Objects.requireNonNull(listener, "listener");
    if (attemptListeners == null) {
      attemptListeners = new ArrayList<>(2);
    } else if (attemptListeners.size() >= MAX_ATTEMPT_LISTENERS) {
      throw new IllegalStateException(
          "onUpstreamAttempt: " + MAX_ATTEMPT_LISTENERS + " listeners (expected: fewer)");
    }
    attemptListeners.add(listener);
  }

  /** The attempt listeners, or null when there are none. */
  List<UpstreamAttemptListener> attemptListeners() {
    return attemptListeners;
  }

  /**
   * The flags filters added.
   *
   * @return a copy
   */
  public synchronized Set<ResponseFlag> flags() {
    return EnumSet.copyOf(flags);
  }
}
