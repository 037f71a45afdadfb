package io.plugmesh.plugins.authnjwt;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Claim values as the rest of the chain sees them: immutable, and as header text. */
final class ClaimValues {

  /** The longest claim text copied into a header. */
  static final int MAX_HEADER_VALUE_CHARS = 4096;

  private ClaimValues() {}

  /**
   * An immutable deep copy of parsed JSON claims, without nulls.
   *
   * @param claims the claims as nimbus parsed them
   * @return the copy
   */
  static Map<String, Object> immutableMap(Map<String, ?> claims) {
    Map<String, Object> out = new LinkedHashMap<>();
    claims.forEach(
        (name, value) -> {
          Object copy = immutable(value);
          if (copy != null) {
            out.put(name, copy);
          }
        });
    return Collections.unmodifiableMap(out);
  }

  private static Object immutable(Object value) {
    if (value instanceof Map<?, ?> map) {
      Map<String, Object> out = new LinkedHashMap<>();
      map.forEach(
          (k, v) -> {
            Object copy = immutable(v);
            if (copy != null) {
              out.put(String.valueOf(k), copy);
            }
          });
      return Collections.unmodifiableMap(out);
    }
    if (value instanceof List<?> list) {
      List<Object> out = new ArrayList<>(list.size());
      for (Object element : list) {
        Object copy = immutable(element);
        if (copy != null) {
          out.add(copy);
        }
      }
      return Collections.unmodifiableList(out);
    }
    return value;
  }

  /**
   * A claim as header text: a string as is, a number or boolean as written, a list as its scalar
   * elements joined by {@code ,}. Null when the claim has no such form, or when the text has
   * characters a header must not carry (controls, non-ASCII) or is too long.
   *
   * @param value the claim value
   * @return the header value, or null to leave the header out
   */
  static String headerText(Object value) {
    String text;
    if (value instanceof String || value instanceof Number || value instanceof Boolean) {
      text = String.valueOf(value);
    } else if (value instanceof List<?> list) {
      StringBuilder sb = new StringBuilder();
      for (Object element : list) {
        if (!(element instanceof String
            || element instanceof Number
            || element instanceof Boolean)) {
          return null;
        }
        sb.append(sb.length() == 0 ? "" : ",").append(element);
      }
      text = sb.toString();
    } else {
      return null;
    }
    if (text.isEmpty() || text.length() > MAX_HEADER_VALUE_CHARS) {
      return null;
    }
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if ((c < 0x20 && c != '\t') || c >= 0x7f) {
        return null;
      }
    }
    return text;
  }
}
