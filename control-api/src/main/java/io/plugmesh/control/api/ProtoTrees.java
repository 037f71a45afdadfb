package io.plugmesh.control.api;

import com.google.protobuf.ListValue;
import com.google.protobuf.NullValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Converts between protobuf {@code Struct} documents and trees of plain values ({@code Map<String,
 * ?>}, {@code List<?>}, {@code String}, {@code Number}, {@code Boolean}, null), the form the config
 * model reads. Knows no config field: what a document means is the config model's business.
 */
public final class ProtoTrees {
  private ProtoTrees() {}

  /**
   * A plain map as a {@code Struct}.
   *
   * @param map string keys to plain values
   * @return the struct
   */
  public static Struct struct(Map<?, ?> map) {
    Struct.Builder b = Struct.newBuilder();
    for (Map.Entry<?, ?> e : map.entrySet()) {
      b.putFields(String.valueOf(e.getKey()), value(e.getValue()));
    }
    return b.build();
  }

  /**
   * A plain value as a protobuf {@code Value}.
   *
   * @param v a plain value
   * @return the value
   */
  public static Value value(Object v) {
    if (v == null) {
      return Value.newBuilder().setNullValue(NullValue.NULL_VALUE).build();
    } else if (v instanceof String s) {
      return Value.newBuilder().setStringValue(s).build();
    } else if (v instanceof Boolean bool) {
      return Value.newBuilder().setBoolValue(bool).build();
    } else if (v instanceof Number n) {
      return Value.newBuilder().setNumberValue(n.doubleValue()).build();
    } else if (v instanceof Map<?, ?> m) {
      return Value.newBuilder().setStructValue(struct(m)).build();
    } else if (v instanceof List<?> l) {
      ListValue.Builder lb = ListValue.newBuilder();
      for (Object o : l) {
        lb.addValues(value(o));
      }
      return Value.newBuilder().setListValue(lb).build();
    }
    throw new IllegalArgumentException(
        "value of type " + v.getClass().getName() + " (expected: map, list, string, number, bool)");
  }

  /**
   * A {@code Struct} as an ordered map of plain values. Whole numbers become {@code Integer} (or
   * {@code Long} when larger), so integer schema checks and config parsers see integers.
   *
   * @param struct the struct
   * @return a mutable map
   */
  public static Map<String, Object> plain(Struct struct) {
    Map<String, Object> m = new LinkedHashMap<>();
    // Struct fields have no order; sort for stable output.
    for (Map.Entry<String, Value> e : new TreeMap<>(struct.getFieldsMap()).entrySet()) {
      m.put(e.getKey(), plain(e.getValue()));
    }
    return m;
  }

  /**
   * A protobuf {@code Value} as a plain value.
   *
   * @param v the value
   * @return a plain value
   */
  public static Object plain(Value v) {
    return switch (v.getKindCase()) {
      case NULL_VALUE, KIND_NOT_SET -> null;
      case STRING_VALUE -> v.getStringValue();
      case BOOL_VALUE -> v.getBoolValue();
      case NUMBER_VALUE -> number(v.getNumberValue());
      case STRUCT_VALUE -> plain(v.getStructValue());
      case LIST_VALUE -> {
        List<Object> l = new ArrayList<>();
        for (Value item : v.getListValue().getValuesList()) {
          l.add(plain(item));
        }
        yield l;
      }
    };
  }

  private static Object number(double d) {
    if (d == Math.rint(d) && !Double.isInfinite(d) && Math.abs(d) < 9.007199254740992E15) {
      long l = (long) d;
      if (l >= Integer.MIN_VALUE && l <= Integer.MAX_VALUE) {
        return (int) l;
      }
      return l;
    }
    return d;
  }
}
