package io.plugmesh.control.api;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.plugmesh.config.ConfigLoader;
import io.plugmesh.config.MeshConfig;
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
 * One proxy's config as named resources: listeners, clusters, and routes in match order, each a
 * config document ({@code Struct}) of the YAML config model. Builds snapshots (whole or as a delta
 * against an earlier set), applies them, reads them with the config model ({@link #config}), and
 * has a content version that is equal for equal content on every control replica.
 *
 * <p>It knows two fields of a resource, both envelope: {@value #NAME}, its key, and {@value
 * #SELECTOR}, which the control service chose it by and which is not part of the config model.
 */
public final class ResourceSet {
  /** The empty set. */
  public static final ResourceSet EMPTY = new ResourceSet(Map.of(), Map.of(), Map.of());

  /** The document field holding a resource's name, unique per kind. */
  public static final String NAME = "name";

  /** The document field holding a resource's selector; not part of the config model. */
  public static final String SELECTOR = "selector";

  private static final int VERSION_HEX_CHARS = 16;

  private final Map<String, Struct> listeners;
  private final Map<String, Struct> clusters;
  private final Map<String, Struct> routes;
  private String version;

  /**
   * A set of resources; maps keep their iteration order (routes in match order).
   *
   * @param listeners listener documents by name
   * @param clusters cluster documents by name
   * @param routes route documents by name in match order
   * @throws IllegalArgumentException when a document's name is not its key
   */
  public ResourceSet(
      Map<String, Struct> listeners, Map<String, Struct> clusters, Map<String, Struct> routes) {
    this.listeners = keyed("listener", listeners);
    this.clusters = keyed("cluster", clusters);
    this.routes = keyed("route", routes);
  }

  /**
   * A set from trees of plain values (the config file's items, each with its name), keyed by name.
   *
   * @param listeners listener trees
   * @param clusters cluster trees
   * @param routes route trees in match order
   * @return the set
   * @throws IllegalArgumentException when a tree has no name, or two of a kind share one
   */
  public static ResourceSet of(
      List<? extends Map<String, ?>> listeners,
      List<? extends Map<String, ?>> clusters,
      List<? extends Map<String, ?>> routes) {
    return new ResourceSet(
        byName("listener", listeners), byName("cluster", clusters), byName("route", routes));
  }

  private static Map<String, Struct> byName(String kind, List<? extends Map<String, ?>> trees) {
    Map<String, Struct> out = new LinkedHashMap<>();
    for (Map<String, ?> tree : trees) {
      Struct s = ProtoTrees.struct(tree);
      if (out.put(name(kind, s), s) != null) {
        throw new IllegalArgumentException(
            kind + " '" + name(kind, s) + "' given twice (expected: unique names)");
      }
    }
    return out;
  }

  private static Map<String, Struct> keyed(String kind, Map<String, Struct> resources) {
    resources.forEach(
        (key, s) -> {
          if (!key.equals(name(kind, s))) {
            throw new IllegalArgumentException(
                kind + " named '" + name(kind, s) + "' under '" + key + "' (expected: its name)");
          }
        });
    return Collections.unmodifiableMap(new LinkedHashMap<>(resources));
  }

  /**
   * A resource document's name.
   *
   * @param kind listener, cluster or route, for the message
   * @param resource the document
   * @return the name
   * @throws IllegalArgumentException when it has no string name
   */
  private static String name(String kind, Struct resource) {
    Value v = resource.getFieldsOrDefault(NAME, Value.getDefaultInstance());
    if (v.getKindCase() != Value.KindCase.STRING_VALUE || v.getStringValue().isEmpty()) {
      throw new IllegalArgumentException(
          "a " + kind + " without a name (expected: a string field '" + NAME + "')");
    }
    return v.getStringValue();
  }

  /**
   * The listeners.
   *
   * @return documents by name
   */
  public Map<String, Struct> listeners() {
    return listeners;
  }

  /**
   * The clusters.
   *
   * @return documents by name
   */
  public Map<String, Struct> clusters() {
    return clusters;
  }

  /**
   * The routes in match order.
   *
   * @return documents by name
   */
  public Map<String, Struct> routes() {
    return routes;
  }

  /**
   * The content version: a hash of every resource and the route order. Documents are hashed in
   * protobuf's deterministic serialization (map keys sorted), so the version does not depend on the
   * order fields were written in.
   *
   * @return 16 hex digits
   */
  public synchronized String version() {
    if (version == null) {
      MessageDigest digest = sha256();
      for (Struct l : sorted(listeners)) {
        update(digest, "L", l);
      }
      for (Struct c : sorted(clusters)) {
        update(digest, "C", c);
      }
      for (Struct r : routes.values()) {
        update(digest, "R", r);
      }
      version = HexFormat.of().formatHex(digest.digest()).substring(0, VERSION_HEX_CHARS);
    }
    return version;
  }

  private static List<Struct> sorted(Map<String, Struct> map) {
    List<String> names = new ArrayList<>(map.keySet());
    Collections.sort(names);
    List<Struct> out = new ArrayList<>(names.size());
    for (String n : names) {
      out.add(map.get(n));
    }
    return out;
  }

  private static void update(MessageDigest digest, String kind, Struct s) {
    digest.update(kind.getBytes(StandardCharsets.US_ASCII));
    byte[] bytes = deterministic(s);
    digest.update(Integer.toString(bytes.length).getBytes(StandardCharsets.US_ASCII));
    digest.update(bytes);
  }

  /**
   * Serializes with map entries (a {@code Struct}'s fields, at every depth) in key order, so equal
   * documents give equal bytes.
   */
  static byte[] deterministic(Struct s) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream(s.getSerializedSize());
      CodedOutputStream coded = CodedOutputStream.newInstance(out);
      coded.useDeterministicSerialization();
      s.writeTo(coded);
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
    changed(listeners, base.listeners).forEach(b::addListeners);
    changed(clusters, base.clusters).forEach(b::addClusters);
    changed(routes, base.routes).forEach(b::addRoutes);
    removed(listeners, base.listeners).forEach(b::addRemovedListeners);
    removed(clusters, base.clusters).forEach(b::addRemovedClusters);
    removed(routes, base.routes).forEach(b::addRemovedRoutes);
    return b.build();
  }

  private static List<Struct> changed(Map<String, Struct> now, Map<String, Struct> base) {
    List<Struct> out = new ArrayList<>();
    now.forEach(
        (n, s) -> {
          if (!s.equals(base.get(n))) {
            out.add(s);
          }
        });
    return out;
  }

  private static List<String> removed(Map<String, Struct> now, Map<String, Struct> base) {
    return base.keySet().stream().filter(n -> !now.containsKey(n)).toList();
  }

  /**
   * Applies a snapshot: a full one replaces this set, a delta must name this set's version as its
   * base.
   *
   * @param snapshot the snapshot
   * @return the resulting set
   * @throws IllegalArgumentException when a delta's base is not this set, a resource has no name,
   *     or a route in the order is missing
   */
  public ResourceSet apply(Snapshot snapshot) {
    requireNonNull(snapshot, "snapshot");
    Map<String, Struct> l = new LinkedHashMap<>();
    Map<String, Struct> c = new LinkedHashMap<>();
    Map<String, Struct> byName = new LinkedHashMap<>();
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
    snapshot.getListenersList().forEach(x -> l.put(name("listener", x), x));
    snapshot.getClustersList().forEach(x -> c.put(name("cluster", x), x));
    snapshot.getRoutesList().forEach(x -> byName.put(name("route", x), x));
    Map<String, Struct> ordered = new LinkedHashMap<>();
    for (String name : snapshot.getRouteOrderList()) {
      Struct r = byName.remove(name);
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
    root.put("listeners", trees(listeners));
    root.put("clusters", trees(clusters));
    root.put("routes", trees(routes));
    return root;
  }

  private static List<Object> trees(Map<String, Struct> resources) {
    List<Object> out = new ArrayList<>(resources.size());
    for (Struct s : resources.values()) {
      Map<String, Object> tree = ProtoTrees.plain(s);
      tree.remove(SELECTOR);
      out.add(tree);
    }
    return out;
  }

  /**
   * The set read and validated by the config model, as a proxy runs it.
   *
   * @param source where it came from, for messages
   * @return the config
   * @throws io.plugmesh.config.ConfigError naming every problem (route, plugin, field)
   */
  public MeshConfig config(String source) {
    return ConfigLoader.fromTree(configTree(), source);
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
