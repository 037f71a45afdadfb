package io.plugmesh.control.api;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.Message;
import io.plugmesh.control.api.v1.Cluster;
import io.plugmesh.control.api.v1.Listener;
import io.plugmesh.control.api.v1.Route;
import io.plugmesh.control.api.v1.Snapshot;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One proxy's config as named resources: listeners, clusters, and routes in match order. Builds
 * snapshots (whole or as a delta against an earlier set), applies them, and has a content version
 * that is equal for equal content on every control replica.
 */
public final class ResourceSet {
  /** The empty set. */
  public static final ResourceSet EMPTY = new ResourceSet(Map.of(), Map.of(), Map.of());

  private static final int VERSION_HEX_CHARS = 16;

  private final Map<String, Listener> listeners;
  private final Map<String, Cluster> clusters;
  private final Map<String, Route> routes;
  private String version;

  /**
   * A set of resources; maps keep their iteration order (routes in match order).
   *
   * @param listeners listeners by name
   * @param clusters clusters by name
   * @param routes routes by name in match order
   */
  public ResourceSet(
      Map<String, Listener> listeners, Map<String, Cluster> clusters, Map<String, Route> routes) {
    this.listeners = Collections.unmodifiableMap(new LinkedHashMap<>(listeners));
    this.clusters = Collections.unmodifiableMap(new LinkedHashMap<>(clusters));
    this.routes = Collections.unmodifiableMap(new LinkedHashMap<>(routes));
  }

  /**
   * The listeners.
   *
   * @return by name
   */
  public Map<String, Listener> listeners() {
    return listeners;
  }

  /**
   * The clusters.
   *
   * @return by name
   */
  public Map<String, Cluster> clusters() {
    return clusters;
  }

  /**
   * The routes in match order.
   *
   * @return by name
   */
  public Map<String, Route> routes() {
    return routes;
  }

  /**
   * The content version: a hash of every resource and the route order.
   *
   * @return 16 hex digits
   */
  public synchronized String version() {
    if (version == null) {
      MessageDigest digest = sha256();
      for (Listener l : sorted(listeners)) {
        update(digest, "L", l);
      }
      for (Cluster c : sorted(clusters)) {
        update(digest, "C", c);
      }
      for (Map.Entry<String, Route> r : routes.entrySet()) {
        update(digest, "R", r.getValue());
      }
      version = HexFormat.of().formatHex(digest.digest()).substring(0, VERSION_HEX_CHARS);
    }
    return version;
  }

  private static <T> List<T> sorted(Map<String, T> map) {
    List<String> names = new ArrayList<>(map.keySet());
    Collections.sort(names);
    List<T> out = new ArrayList<>(names.size());
    for (String n : names) {
      out.add(map.get(n));
    }
    return out;
  }

  private static void update(MessageDigest digest, String kind, Message m) {
    digest.update(kind.getBytes(StandardCharsets.US_ASCII));
    byte[] bytes = deterministic(m);
    digest.update(Integer.toString(bytes.length).getBytes(StandardCharsets.US_ASCII));
    digest.update(bytes);
  }

  /** Serializes with map entries in key order, so equal messages give equal bytes. */
  private static byte[] deterministic(Message m) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream(m.getSerializedSize());
      CodedOutputStream coded = CodedOutputStream.newInstance(out);
      coded.useDeterministicSerialization();
      m.writeTo(coded);
      coded.flush();
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is not available", e);
    }
  }

  /**
   * The whole set as a snapshot.
   *
   * @param nonce the push's nonce
   * @return a full snapshot
   */
  public Snapshot full(String nonce) {
    return Snapshot.newBuilder()
        .setVersion(version())
        .setNonce(nonce)
        .setFull(true)
        .addAllListeners(listeners.values())
        .addAllClusters(clusters.values())
        .addAllRoutes(routes.values())
        .addAllRouteOrder(routes.keySet())
        .build();
  }

  /**
   * The changes from {@code base} to this set: added or changed resources, removed names.
   *
   * @param base what the proxy has
   * @param nonce the push's nonce
   * @return a delta snapshot
   */
  public Snapshot deltaFrom(ResourceSet base, String nonce) {
    requireNonNull(base, "base");
    Snapshot.Builder b =
        Snapshot.newBuilder()
            .setVersion(version())
            .setNonce(nonce)
            .setFull(false)
            .setBaseVersion(base.version())
            .addAllRouteOrder(routes.keySet());
    listeners.forEach(
        (n, l) -> {
          if (!l.equals(base.listeners.get(n))) {
            b.addListeners(l);
          }
        });
    clusters.forEach(
        (n, c) -> {
          if (!c.equals(base.clusters.get(n))) {
            b.addClusters(c);
          }
        });
    routes.forEach(
        (n, r) -> {
          if (!r.equals(base.routes.get(n))) {
            b.addRoutes(r);
          }
        });
    base.listeners.keySet().stream()
        .filter(n -> !listeners.containsKey(n))
        .forEach(b::addRemovedListeners);
    base.clusters.keySet().stream()
        .filter(n -> !clusters.containsKey(n))
        .forEach(b::addRemovedClusters);
    base.routes.keySet().stream().filter(n -> !routes.containsKey(n)).forEach(b::addRemovedRoutes);
    return b.build();
  }

  /**
   * Applies a snapshot: a full one replaces this set, a delta must name this set's version as its
   * base.
   *
   * @param snapshot the snapshot
   * @return the resulting set
   * @throws IllegalArgumentException when a delta's base is not this set, or a route in the order
   *     is missing
   */
  public ResourceSet apply(Snapshot snapshot) {
    requireNonNull(snapshot, "snapshot");
    Map<String, Listener> l = new LinkedHashMap<>();
    Map<String, Cluster> c = new LinkedHashMap<>();
    Map<String, Route> byName = new LinkedHashMap<>();
    if (!snapshot.getFull()) {
      if (!Objects.equals(snapshot.getBaseVersion(), version())) {
        throw new IllegalArgumentException(
            "delta snapshot for base version '"
                + snapshot.getBaseVersion()
                + "' (expected: the applied version '"
                + version()
                + "')");
      }
      l.putAll(listeners);
      c.putAll(clusters);
      byName.putAll(routes);
      snapshot.getRemovedListenersList().forEach(l::remove);
      snapshot.getRemovedClustersList().forEach(c::remove);
      snapshot.getRemovedRoutesList().forEach(byName::remove);
    }
    snapshot.getListenersList().forEach(x -> l.put(x.getName(), x));
    snapshot.getClustersList().forEach(x -> c.put(x.getName(), x));
    snapshot.getRoutesList().forEach(x -> byName.put(x.getName(), x));
    Map<String, Route> ordered = new LinkedHashMap<>();
    for (String name : snapshot.getRouteOrderList()) {
      Route r = byName.remove(name);
      if (r == null) {
        throw new IllegalArgumentException(
            "route_order names route '" + name + "' (expected: a route of the snapshot)");
      }
      ordered.put(name, r);
    }
    if (!byName.isEmpty()) {
      throw new IllegalArgumentException(
          "routes " + byName.keySet() + " are missing from route_order (expected: every route)");
    }
    return new ResourceSet(l, c, ordered);
  }

  /**
   * The set as a config tree ({@code listeners}, {@code clusters}, {@code routes}) without
   * selectors, as the config loader reads it.
   *
   * @return the tree
   */
  public Map<String, Object> configTree() {
    Map<String, Object> root = new LinkedHashMap<>();
    List<Object> ls = new ArrayList<>();
    listeners.values().forEach(x -> ls.add(withoutSelector(ProtoTrees.tree(x))));
    List<Object> cs = new ArrayList<>();
    clusters.values().forEach(x -> cs.add(withoutSelector(ProtoTrees.tree(x))));
    List<Object> rs = new ArrayList<>();
    routes.values().forEach(x -> rs.add(withoutSelector(ProtoTrees.tree(x))));
    root.put("listeners", ls);
    root.put("clusters", cs);
    root.put("routes", rs);
    return root;
  }

  private static Map<String, Object> withoutSelector(Map<String, Object> tree) {
    tree.remove(ProtoTrees.SELECTOR);
    return tree;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ResourceSet other && version().equals(other.version());
  }

  @Override
  public int hashCode() {
    return version().hashCode();
  }

  @Override
  public String toString() {
    return "ResourceSet{version="
        + version()
        + ", listeners="
        + listeners.size()
        + ", clusters="
        + clusters.size()
        + ", routes="
        + routes.size()
        + '}';
  }
}
