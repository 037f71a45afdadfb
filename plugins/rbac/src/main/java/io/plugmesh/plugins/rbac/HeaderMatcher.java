package io.plugmesh.plugins.rbac;

import static java.util.Objects.requireNonNull;

import io.plugmesh.filters.Headers;
import java.util.List;

/**
 * A condition on one request header. Several values of the header are joined with {@code ,} before
 * comparing (as Envoy does), so a client cannot satisfy it by adding a value.
 *
 * @param name the header name, lower case
 * @param exact the whole value must equal this, or null
 * @param prefix the value must start with this, or null
 * @param present true: the header must be present; false: it must be absent; null: no check
 */
record HeaderMatcher(String name, String exact, String prefix, Boolean present) {

  HeaderMatcher {
    requireNonNull(name, "name");
  }

  /**
   * Whether the headers satisfy the condition.
   *
   * @param headers the request headers
   * @return true on a match
   */
  boolean matches(Headers headers) {
    List<String> values = headers.getAll(name);
    if (present != null) {
      return present == !values.isEmpty();
    }
    if (values.isEmpty()) {
      return false;
    }
    String value = values.size() == 1 ? values.get(0) : String.join(",", values);
    if (exact != null) {
      return exact.equals(value);
    }
    return value.startsWith(prefix);
  }
}
