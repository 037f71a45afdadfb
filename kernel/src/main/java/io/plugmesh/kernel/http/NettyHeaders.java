package io.plugmesh.kernel.http;

import io.netty.handler.codec.http.HttpHeaders;
import io.plugmesh.filters.Headers;
import java.util.AbstractMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** {@link Headers} over Netty's case-insensitive {@link HttpHeaders}, without copying. */
public final class NettyHeaders implements Headers {
  private final HttpHeaders headers;

  /**
   * A view over {@code headers}.
   *
   * @param headers Netty's headers, read and changed through the view
   */
  public NettyHeaders(HttpHeaders headers) {
    this.headers = headers;
  }

  @Override
  public String get(String name) {
    return headers.get(name);
  }

  @Override
  public List<String> getAll(String name) {
    return headers.getAll(name);
  }

  @Override
  public boolean contains(String name) {
    return headers.contains(name);
  }

  @Override
  public Headers set(String name, String value) {
    headers.set(name, value);
    return this;
  }

  @Override
  public Headers add(String name, String value) {
    headers.add(name, value);
    return this;
  }

  @Override
  public boolean remove(String name) {
    if (!headers.contains(name)) {
      return false;
    }
    headers.remove(name);
    return true;
  }

  @Override
  public Set<String> names() {
    Set<String> names = new LinkedHashSet<>();
    for (String name : headers.names()) {
      names.add(name.toLowerCase(Locale.ROOT));
    }
    return names;
  }

  @Override
  public int size() {
    return headers.size();
  }

  @Override
  public Iterator<Map.Entry<String, String>> iterator() {
    Iterator<Map.Entry<String, String>> it = headers.iteratorAsString();
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        return it.hasNext();
      }

      @Override
      public Map.Entry<String, String> next() {
        Map.Entry<String, String> e = it.next();
        return new AbstractMap.SimpleImmutableEntry<>(
            e.getKey().toLowerCase(Locale.ROOT), e.getValue());
      }
    };
  }

  @Override
  public String toString() {
    return headers.toString();
  }
}
