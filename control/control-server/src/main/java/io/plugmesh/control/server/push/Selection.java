package io.plugmesh.control.server.push;

import static java.util.Objects.requireNonNull;

import io.plugmesh.config.ConfigLoader;
import io.plugmesh.control.api.ResourceSet;
import io.plugmesh.control.server.registry.Instance;
import io.plugmesh.control.server.store.DesiredState;
import io.plugmesh.control.server.store.Kind;
import io.plugmesh.control.server.store.Resource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Chooses a proxy's config from the desired state: resources whose selector matches the proxy's
 * service and labels (no selector: every proxy), with registered instances added to the endpoints
 * of the cluster named like their service. Resources stay the documents the validator made
 * canonical; the selector travels with them.
 */
public final class Selection {
  private Selection() {}

  /**
   * The config for one proxy.
   *
   * @param state the canonical desired state
   * @param registry live instances by service
   * @param service the proxy's service
   * @param labels the proxy's labels
   * @return the proxy's resources
   */
  public static ResourceSet select(
      DesiredState state,
      Map<String, List<Instance>> registry,
      String service,
      Map<String, String> labels) {
    List<Map<String, Object>> clusters = new ArrayList<>();
    for (Map<String, Object> c : selected(state, Kind.CLUSTER, service, labels)) {
      clusters.add(withInstances(c, registry.get(String.valueOf(c.get(ResourceSet.NAME)))));
    }
    return ResourceSet.of(
        selected(state, Kind.LISTENER, service, labels),
        clusters,
        selected(state, Kind.ROUTE, service, labels));
  }

  private static List<Map<String, Object>> selected(
      DesiredState state, Kind kind, String service, Map<String, String> labels) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (Resource r : state.of(kind)) {
      if (selects(r.tree().get(ResourceSet.SELECTOR), service, labels)) {
        out.add(r.tree());
      }
    }
    return out;
  }

  /**
   * Every resource regardless of selectors, except listeners that have one (listeners of different
   * proxies may share an address): what is checked against the whole plugin catalog.
   *
   * @param state the canonical desired state
   * @return the resources
   */
  public static ResourceSet catalogTarget(DesiredState state) {
    List<Map<String, Object>> listeners = new ArrayList<>();
    for (Resource r : state.of(Kind.LISTENER)) {
      if (!(r.tree().get(ResourceSet.SELECTOR) instanceof Map<?, ?> s) || s.isEmpty()) {
        listeners.add(r.tree());
      }
    }
    return ResourceSet.of(listeners, trees(state, Kind.CLUSTER), trees(state, Kind.ROUTE));
  }

  private static List<Map<String, Object>> trees(DesiredState state, Kind kind) {
    return state.of(kind).stream().map(Resource::tree).toList();
  }

  /**
   * Whether a proxy with this service and labels is selected.
   *
   * @param selector the selector's tree ({@code {service: x, labels: {k: v}}}), or null (selects
   *     every proxy)
   * @param service the proxy's service
   * @param labels the proxy's labels
   * @return true if selected
   */
  public static boolean selects(Object selector, String service, Map<String, String> labels) {
    requireNonNull(labels, "labels");
    if (!(selector instanceof Map<?, ?> s)) {
      return true;
    }
    Object wanted = s.get("service");
    if (wanted instanceof String w && !w.isEmpty() && !w.equals(service)) {
      return false;
    }
    if (s.get("labels") instanceof Map<?, ?> required) {
      for (Map.Entry<?, ?> e : required.entrySet()) {
        if (!String.valueOf(e.getValue()).equals(labels.get(String.valueOf(e.getKey())))) {
          return false;
        }
      }
    }
    return true;
  }

  private static Map<String, Object> withInstances(
      Map<String, Object> cluster, List<Instance> instances) {
    if (instances == null || instances.isEmpty()) {
      return cluster;
    }
    Map<String, Integer> endpoints = new LinkedHashMap<>();
    for (Instance i : instances) {
      endpoints.putIfAbsent(i.address(), i.weight());
    }
    return ConfigLoader.withEndpoints(cluster, endpoints);
  }
}
