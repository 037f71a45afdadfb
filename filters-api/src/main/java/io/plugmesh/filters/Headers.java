package io.plugmesh.filters;

import io.plugmesh.filters.internal.ListHeaders;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * HTTP header fields of a request or response. Names are case-insensitive (HTTP/2 sends them in
 * lower case); a name may carry several values, kept in arrival order.
 *
 * <p>Pseudo-headers ({@code :path}, {@code :authority}) are not headers here: read them from {@link
 * ProxyRequest}.
 */
public interface Headers extends Iterable<Map.Entry<String, String>> {

  /**
   * Creates an empty, mutable header set, e.g. for a response a filter builds itself.
   *
   * @return new empty headers
   */
  static Headers create() {
    return new ListHeaders();
  }

  /**
   * The first value of a header.
   *
   * @param name the header name, any case
   * @return the first value, or {@code null} when absent
   */
  String get(String name);

  /**
   * All values of a header in arrival order.
   *
   * @param name the header name, any case
   * @return the values, empty when absent
   */
  List<String> getAll(String name);

  /**
   * Whether the header is present.
   *
   * @param name the header name, any case
   * @return true if at least one value is present
   */
  boolean contains(String name);

  /**
   * Replaces all values of a header with one value.
   *
   * @param name the header name
   * @param value the value
   * @return these headers
   */
  Headers set(String name, String value);

  /**
   * Adds a value to a header, keeping existing ones.
   *
   * @param name the header name
   * @param value the value
   * @return these headers
   */
  Headers add(String name, String value);

  /**
   * Removes all values of a header.
   *
   * @param name the header name, any case
   * @return true if something was removed
   */
  boolean remove(String name);

  /**
   * The distinct header names present.
   *
   * @return the names, in lower case
   */
  Set<String> names();

  /**
   * The number of header fields (a name with two values counts twice).
   *
   * @return the field count
   */
  int size();
}
