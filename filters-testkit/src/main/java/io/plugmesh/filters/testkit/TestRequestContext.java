package io.plugmesh.filters.testkit;

import static java.util.Objects.requireNonNull;

import io.plugmesh.filters.ContextKey;
import io.plugmesh.filters.RequestContext;
import io.plugmesh.filters.ResponseFlag;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
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
  private final String requestId;
  private final String routeName;
  private final Map<ContextKey<?>, Object> attributes = new ConcurrentHashMap<>();
  private final Set<ResponseFlag> flags =
      Collections.synchronizedSet(EnumSet.noneOf(ResponseFlag.class));
  private final RunTrace trace;

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
  public Set<ResponseFlag> responseFlags() {
    synchronized (flags) {
      return flags.isEmpty()
          ? Collections.emptySet()
          : Collections.unmodifiableSet(EnumSet.copyOf(flags));
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
