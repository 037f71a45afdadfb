package io.plugmesh.filters;

import static java.util.Objects.requireNonNull;

/**
 * A typed key for a {@link RequestContext} attribute. Keys compare by identity: keep each in a
 * {@code static final} field and share it with the plugins that read it.
 *
 * <pre>{@code
 * static final ContextKey<String> TENANT = ContextKey.of("acme.tenant", String.class);
 * }</pre>
 *
 * @param <T> the value type
 */
public final class ContextKey<T> {
  private final String name;
  private final Class<T> type;

  private ContextKey(String name, Class<T> type) {
    this.name = requireNonNull(name, "name");
    this.type = requireNonNull(type, "type");
  }

  /**
   * Creates a key.
   *
   * @param name a descriptive, namespaced name, e.g. {@code acme.tenant}
   * @param type the value type
   * @param <T> the value type
   * @return a new key, distinct from every other key
   */
  public static <T> ContextKey<T> of(String name, Class<T> type) {
    return new ContextKey<>(name, type);
  }

  /**
   * The key's name, for logs.
   *
   * @return the name
   */
  public String name() {
    return name;
  }

  /**
   * The value type.
   *
   * @return the type
   */
  public Class<T> type() {
    return type;
  }

  @Override
  public String toString() {
    return name;
  }
}
