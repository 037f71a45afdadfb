package io.plugmesh.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Small helpers over plain value trees: deep immutable copies and duration text. */
final class Trees {
  private static final long[] UNIT_NANOS = {
    86_400_000_000_000L, 3_600_000_000_000L, 60_000_000_000L, 1_000_000_000L, 1_000_000L, 1_000L, 1L
  };
  private static final String[] UNIT_NAMES = {"d", "h", "m", "s", "ms", "us", "ns"};

  private Trees() {}

  /**
   * A deep, unmodifiable copy of a plain value tree; map order is kept.
   *
   * @param value maps, lists and scalars
   * @return the copy
   */
  static Object freeze(Object value) {
    if (value instanceof Map<?, ?> map) {
      Map<String, Object> copy = new LinkedHashMap<>();
      for (Map.Entry<?, ?> e : map.entrySet()) {
        copy.put(String.valueOf(e.getKey()), freeze(e.getValue()));
      }
      return Collections.unmodifiableMap(copy);
    }
    if (value instanceof List<?> list) {
      List<Object> copy = new ArrayList<>(list.size());
      for (Object element : list) {
        copy.add(freeze(element));
      }
      return Collections.unmodifiableList(copy);
    }
    return value;
  }

  /**
   * A duration as the config writes it, in the largest unit that keeps it exact: {@code 2s}, {@code
   * 1500ms}, {@code 5m}.
   *
   * @param duration a non-negative duration
   * @return the text
   */
  static String duration(Duration duration) {
    long nanos;
    try {
      nanos = duration.toNanos();
    } catch (ArithmeticException e) {
      return duration.toSeconds() + "s";
    }
    if (nanos == 0) {
      return "0s";
    }
    for (int i = 0; i < UNIT_NANOS.length; i++) {
      if (nanos % UNIT_NANOS[i] == 0) {
        return nanos / UNIT_NANOS[i] + UNIT_NAMES[i];
      }
    }
    return nanos + "ns";
  }
}
