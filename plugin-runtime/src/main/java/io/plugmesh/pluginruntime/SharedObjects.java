package io.plugmesh.pluginruntime;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The objects one plugin shares across routes and config versions ({@code FilterServices.shared}):
 * bounded in count, closed with the host.
 */
final class SharedObjects implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SharedObjects.class);

  private final String plugin;
  private final int maxObjects;
  private final Map<String, Object> objects = new LinkedHashMap<>();
  private boolean closed;

  SharedObjects(String plugin, int maxObjects) {
    this.plugin = requireNonNull(plugin, "plugin");
    this.maxObjects = maxObjects;
  }

  /** The object under {@code key}, created by {@code factory} on first use (under this lock). */
  synchronized <T> T get(String key, Class<T> type, Supplier<T> factory) {
    requireNonNull(key, "key");
    requireNonNull(type, "type");
    requireNonNull(factory, "factory");
    if (closed) {
      throw new IllegalStateException(
          "plugin '" + plugin + "' is unloaded (expected: shared() while the plugin is loaded)");
    }
    Object existing = objects.get(key);
    if (existing != null) {
      if (!type.isInstance(existing)) {
        throw new IllegalArgumentException(
            "shared object '"
                + key
                + "' of plugin '"
                + plugin
                + "' is a "
                + existing.getClass().getName()
                + " (expected: "
                + type.getName()
                + ")");
      }
      return type.cast(existing);
    }
    if (objects.size() >= maxObjects) {
      throw new IllegalStateException(
          "plugin '"
              + plugin
              + "' already shares "
              + objects.size()
              + " objects (expected: at most "
              + maxObjects
              + "; key shared objects by something of low cardinality)");
    }
    T created = factory.get();
    if (!type.isInstance(created)) {
      throw new IllegalStateException(
          "factory of shared object '"
              + key
              + "' of plugin '"
              + plugin
              + "' returned "
              + (created == null ? "null" : "a " + created.getClass().getName())
              + " (expected: a "
              + type.getName()
              + ")");
    }
    objects.put(key, created);
    return created;
  }

  synchronized int size() {
    return objects.size();
  }

  @Override
  public void close() {
    List<Object> toClose;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      toClose = new ArrayList<>(objects.values());
      objects.clear();
    }
    for (Object object : toClose) {
      if (object instanceof AutoCloseable closeable) {
        try {
          closeable.close();
        } catch (Exception | LinkageError e) {
          log.warn("plugin '{}': closing shared object {} failed", plugin, object, e);
        }
      }
    }
  }
}
