package io.plugmesh.filters.testkit;

import static java.util.Objects.requireNonNull;

import io.plugmesh.filters.ContextKey;
import io.plugmesh.filters.Headers;
import io.plugmesh.filters.RequestContext;
import io.plugmesh.filters.advanced.ResponseFlag;
import io.plugmesh.filters.advanced.UpstreamAttempt;
import io.plugmesh.filters.advanced.UpstreamAttemptListener;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A {@link RequestContext} that remembers what filters did to it, so tests can assert on the
 * response flags and attributes a filter set.
 *
 * <pre>{@code
 * assertThat(response.context().responseFlags()).containsExactly(ResponseFlag.RATE_LIMITED);
 * assertThat(response.context().get(ContextKeys.PRINCIPAL)).hasValueSatisfying(...);
 * }</pre>
 */
public final class TestRequestContext implements RequestContext {

  /** The most upstream attempt listeners one request holds, as in the proxy. */
  public static final int MAX_ATTEMPT_LISTENERS = 8;

  private final String requestId;
  private final String routeName;
  private final Map<ContextKey<?>, Object> attributes = new ConcurrentHashMap<>();
  private final Set<ResponseFlag> flags =
      Collections.synchronizedSet(EnumSet.noneOf(ResponseFlag.class));
  private final RunTrace trace;
  private final List<UpstreamAttemptListener> attemptListeners = new ArrayList<>(2);
  private int attemptsAnnounced;

  /**
   * Creates an empty context, e.g. to call a filter's helper directly.
   *
   * @param requestId the request id
   * @param routeName the route name
   */
  public TestRequestContext(String requestId, String routeName) {
    this(requestId, routeName, null);
  }

  TestRequestContext(String requestId, String routeName, RunTrace trace) {
    this.requestId = requireNonNull(requestId, "requestId");
    this.routeName = requireNonNull(routeName, "routeName");
    this.trace = trace;
  }

  /**
   * Reads an attribute.
   *
   * @param key the key
   * @param <T> the value type
   * @return the value, or empty
   */
  @Override
  public <T> Optional<T> get(ContextKey<T> key) {
    requireNonNull(key, "key");
    return Optional.ofNullable(key.type().cast(attributes.get(key)));
  }

  /**
   * Sets an attribute; the value must be an instance of the key's type.
   *
   * @param key the key
   * @param value the value, not null
   * @param <T> the value type
   */
  @Override
  public <T> void put(ContextKey<T> key, T value) {
    requireNonNull(key, "key");
    requireNonNull(value, "value of " + key.name());
    if (!key.type().isInstance(value)) {
      throw new ClassCastException(
          "context key "
              + key.name()
              + ": a "
              + value.getClass().getName()
              + " (expected: "
              + key.type().getName()
              + ")");
    }
    attributes.put(key, value);
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
  public void addResponseFlag(ResponseFlag flag) {
    flags.add(requireNonNull(flag, "flag"));
  }

  /**
   * The response flags set so far, by filters or (for unhandled upstream failures) by the harness.
   *
   * @return the flags in declaration order, a copy
   */
  @Override
  public Set<ResponseFlag> responseFlags() {
    synchronized (flags) {
      return flags.isEmpty()
          ? Collections.emptySet()
          : Collections.unmodifiableSet(EnumSet.copyOf(flags));
    }
  }

  /**
   * Registers an upstream attempt listener; the {@link FakeUpstream} calls it before each attempt
   * of this request reaches it.
   *
   * @param listener the listener
   * @throws IllegalStateException past {@link #MAX_ATTEMPT_LISTENERS} listeners
   */
  @Override
  public void onUpstreamAttempt(UpstreamAttemptListener listener) {
    requireNonNull(listener, "listener");
    synchronized (attemptListeners) {
      if (attemptListeners.size() >= MAX_ATTEMPT_LISTENERS) {
        throw new IllegalStateException(
            "onUpstreamAttempt: " + MAX_ATTEMPT_LISTENERS + " listeners (expected: fewer)");
      }
      attemptListeners.add(listener);
    }
  }

  /**
   * Tells the listeners about an attempt about to reach the upstream; a listener that throws fails
   * the attempt, so tests notice (the proxy logs and ignores it).
   */
  Attempt announceAttempt(String endpoint, Headers headers) {
    List<UpstreamAttemptListener> listeners;
    int number;
    synchronized (attemptListeners) {
      number = ++attemptsAnnounced;
      listeners = List.copyOf(attemptListeners);
    }
    Attempt attempt = new Attempt(number, endpoint, headers);
    for (UpstreamAttemptListener listener : listeners) {
      listener.onAttempt(attempt);
    }
    return attempt;
  }

  /** The view attempt listeners get of one fake upstream attempt. */
  static final class Attempt implements UpstreamAttempt {
    private final int number;
    private final String endpoint;
    private final Headers headers;
    private final List<EndListener> endListeners = new ArrayList<>(2);
    private boolean ended;

    Attempt(int number, String endpoint, Headers headers) {
      this.number = number;
      this.endpoint = endpoint;
      this.headers = headers;
    }

    @Override
    public int number() {
      return number;
    }

    @Override
    public String endpoint() {
      return endpoint;
    }

    @Override
    public Headers headers() {
      return headers;
    }

    @Override
    public synchronized void onEnd(EndListener listener) {
      requireNonNull(listener, "listener");
      if (ended) {
        throw new IllegalStateException("onEnd: the attempt already ended");
      }
      endListeners.add(listener);
    }

    /** Tells the end listeners once; a throwing end listener propagates, so tests notice. */
    void ended(int status, Throwable failure) {
      List<EndListener> listeners;
      synchronized (this) {
        if (ended) {
          return;
        }
        ended = true;
        listeners = List.copyOf(endListeners);
        endListeners.clear();
      }
      for (EndListener listener : listeners) {
        listener.ended(status, failure);
      }
    }
  }

  /**
   * Whether a flag was set.
   *
   * @param flag the flag
   * @return true if set
   */
  public boolean hasFlag(ResponseFlag flag) {
    return flags.contains(requireNonNull(flag, "flag"));
  }

  /**
   * Every attribute set so far, keyed by key name.
   *
   * @return a copy of the attributes
   */
  public Map<String, Object> attributes() {
    Map<String, Object> out = new LinkedHashMap<>();
    attributes.forEach((k, v) -> out.put(k.name(), v));
    return out;
  }

  @Override
  public String toString() {
    return "TestRequestContext{id="
        + requestId
        + ", route="
        + routeName
        + ", flags="
        + responseFlags()
        + ", attributes="
        + attributes()
        + "}";
  }

  RunTrace trace() {
    return trace;
  }
}
