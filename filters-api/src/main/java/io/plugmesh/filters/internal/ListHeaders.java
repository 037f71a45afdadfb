package io.plugmesh.filters.internal;

import static java.util.Objects.requireNonNull;

import io.plugmesh.filters.Headers;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** A small list-backed {@link Headers}; names are stored in lower case. Not part of the API. */
public final class ListHeaders implements Headers {
  private final List<String> names = new ArrayList<>(8);
  private final List<String> values = new ArrayList<>(8);

  private static String key(String name) {
    return requireNonNull(name, "name").toLowerCase(Locale.ROOT);
  }

  @Override
  public String get(String name) {
    String k = key(name);
    for (int i = 0; i < names.size(); i++) {
      if (names.get(i).equals(k)) {
        return values.get(i);
      }
    }
    return null;
  }

  @Override
  public List<String> getAll(String name) {
    String k = key(name);
    List<String> out = new ArrayList<>(1);
    for (int i = 0; i < names.size(); i++) {
      if (names.get(i).equals(k)) {
        out.add(values.get(i));
      }
    }
    return out;
  }

  @Override
  public boolean contains(String name) {
    return names.contains(key(name));
  }

  @Override
  public Headers set(String name, String value) {
    remove(name);
    return add(name, value);
  }

  @Override
  public Headers add(String name, String value) {
    names.add(key(name));
    values.add(requireNonNull(value, "value"));
    return this;
  }

  @Override
  public boolean remove(String name) {
    String k = key(name);
    boolean removed = false;
    for (int i = names.size() - 1; i >= 0; i--) {
      if (names.get(i).equals(k)) {
        names.remove(i);
        values.remove(i);
        removed = true;
      }
    }
    return removed;
  }

  @Override
  public Set<String> names() {
    return new LinkedHashSet<>(names);
  }

  @Override
  public int size() {
    return names.size();
  }

  @Override
  public Iterator<Map.Entry<String, String>> iterator() {
    List<Map.Entry<String, String>> entries = new ArrayList<>(names.size());
    for (int i = 0; i < names.size(); i++) {
      entries.add(new AbstractMap.SimpleImmutableEntry<>(names.get(i), values.get(i)));
    }
    return entries.iterator();
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("{");
    for (int i = 0; i < names.size(); i++) {
      sb.append(i == 0 ? "" : ", ").append(names.get(i)).append(": ").append(values.get(i));
    }
    return sb.append('}').toString();
  }
}
