package io.plugmesh.control.server.validate;

import static java.util.Objects.requireNonNull;

import io.plugmesh.control.api.v1.PluginDescriptor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The filters the control service validates config against: each with its phase and config JSON
 * Schema, learned from proxies' hello messages (and from the service's own plugins directory). The
 * latest descriptor of a name wins.
 */
public final class PluginCatalog {
  /** The most filters kept: 10,000. */
  public static final int MAX_PLUGINS = 10_000;

  private final Map<String, PluginDescriptor> byName = new TreeMap<>();
  private final AtomicLong revision = new AtomicLong();

  /**
   * Adds or replaces descriptors.
   *
   * @param descriptors the descriptors
   * @return the descriptors that were new or different
   */
  public synchronized List<PluginDescriptor> addAll(List<PluginDescriptor> descriptors) {
    List<PluginDescriptor> changed = new ArrayList<>();
    for (PluginDescriptor d : descriptors) {
      requireNonNull(d, "descriptor");
      if (d.getName().isEmpty()) {
        continue;
      }
      if (!d.equals(byName.get(d.getName()))) {
        if (!byName.containsKey(d.getName()) && byName.size() >= MAX_PLUGINS) {
          throw new IllegalStateException(
              "plugin catalog full: " + MAX_PLUGINS + " filters (expected: fewer)");
        }
        byName.put(d.getName(), d);
        changed.add(d);
      }
    }
    if (!changed.isEmpty()) {
      revision.incrementAndGet();
    }
    return changed;
  }

  /**
   * Every descriptor by name.
   *
   * @return a copy, sorted by name
   */
  public synchronized Map<String, PluginDescriptor> all() {
    return new TreeMap<>(byName);
  }

  /**
   * Changes on every change of content.
   *
   * @return the revision
   */
  public long revision() {
    return revision.get();
  }
}
