package io.plugmesh.control.server.push;

import io.plugmesh.control.api.ProtoTrees;
import io.plugmesh.control.api.ResourceSet;
import io.plugmesh.control.api.v1.Cluster;
import io.plugmesh.control.api.v1.Endpoint;
import io.plugmesh.control.api.v1.Listener;
import io.plugmesh.control.api.v1.Route;
import io.plugmesh.control.server.registry.Instance;
import io.plugmesh.control.server.store.DesiredState;
import io.plugmesh.control.server.store.Kind;
import io.plugmesh.control.server.store.Resource;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Chooses a proxy's config from the desired state: resources whose selector matches the proxy's
 * service and labels (no selector: every proxy), with registered instances added to the endpoints
 * of the cluster named like their service.
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
    Map<String, Listener> listeners = new LinkedHashMap<>();
    for (Resource r : state.of(Kind.LISTENER)) {
      Listener l = ProtoTrees.listener(r.tree());
      if (ProtoTrees.selects(l.hasSelector() ? l.getSelector() : null, service, labels)) {
        listeners.put(l.getName(), l);
      }
    }
    Map<String, Cluster> clusters = new LinkedHashMap<>();
    for (Resource r : state.of(Kind.CLUSTER)) {
      Cluster c = ProtoTrees.cluster(r.tree());
      if (ProtoTrees.selects(c.hasSelector() ? c.getSelector() : null, service, labels)) {
        clusters.put(c.getName(), withInstances(c, registry.get(c.getName())));
      }
    }
    Map<String, Route> routes = new LinkedHashMap<>();
    for (Resource r : state.of(Kind.ROUTE)) {
      Route route = ProtoTrees.route(r.tree());
      if (ProtoTrees.selects(route.hasSelector() ? route.getSelector() : null, service, labels)) {
        routes.put(route.getName(), route);
      }
    }
    return new ResourceSet(listeners, clusters, routes);
  }

  /**
   * Every resource regardless of selectors, except listeners that have one (listeners of different
   * proxies may share an address): what is checked against the whole plugin catalog.
   *
   * @param state the canonical desired state
   * @return the resources
   */
  public static ResourceSet catalogTarget(DesiredState state) {
    Map<String, Listener> listeners = new LinkedHashMap<>();
    for (Resource r : state.of(Kind.LISTENER)) {
      Listener l = ProtoTrees.listener(r.tree());
      if (!l.hasSelector()) {
        listeners.put(l.getName(), l);
      }
    }
    Map<String, Cluster> clusters = new LinkedHashMap<>();
    state.of(Kind.CLUSTER).forEach(r -> clusters.put(r.name(), ProtoTrees.cluster(r.tree())));
    Map<String, Route> routes = new LinkedHashMap<>();
    state.of(Kind.ROUTE).forEach(r -> routes.put(r.name(), ProtoTrees.route(r.tree())));
    return new ResourceSet(listeners, clusters, routes);
  }

  private static Cluster withInstances(Cluster c, List<Instance> instances) {
    if (instances == null || instances.isEmpty()) {
      return c;
    }
    Cluster.Builder b = c.toBuilder();
    Set<String> seen = new HashSet<>();
    c.getEndpointsList().forEach(e -> seen.add(e.getAddress()));
    for (Instance i : instances) {
      if (seen.add(i.address())) {
        b.addEndpoints(Endpoint.newBuilder().setAddress(i.address()).setWeight(i.weight()));
      }
    }
    return b.build();
  }
}
