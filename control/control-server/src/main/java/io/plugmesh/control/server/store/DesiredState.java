package io.plugmesh.control.server.store;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Every stored resource at one store revision, each kind in its order.
 *
 * @param revision the store revision (etcd revision, or a counter for files)
 * @param resources by kind, in order
 */
public record DesiredState(long revision, Map<Kind, List<Resource>> resources) {
  /** An empty state. */
  public static final DesiredState EMPTY = of(0, List.of());

  /** Copies. */
  public DesiredState {
    Map<Kind, List<Resource>> copy = new EnumMap<>(Kind.class);
    for (Kind k : Kind.values()) {
      copy.put(k, List.copyOf(resources.getOrDefault(k, List.of())));
    }
    resources = copy;
  }

  /** Resource order: by seq, then name. */
  public static final Comparator<Resource> ORDER =
      Comparator.comparingLong(Resource::seq).thenComparing(Resource::name);

  /**
   * A state from unordered resources.
   *
   * @param revision the revision
   * @param all the resources
   * @return the state, each kind sorted by {@link #ORDER}
   */
  public static DesiredState of(long revision, List<Resource> all) {
    Map<Kind, List<Resource>> m = new EnumMap<>(Kind.class);
    for (Kind k : Kind.values()) {
      m.put(k, new ArrayList<>());
    }
    for (Resource r : all) {
      m.get(r.kind()).add(r);
    }
    m.values().forEach(l -> l.sort(ORDER));
    return new DesiredState(revision, m);
  }

  /**
   * The resources of a kind in order.
   *
   * @param kind the kind
   * @return the resources
   */
  public List<Resource> of(Kind kind) {
    return resources.get(kind);
  }

  /**
   * Every resource.
   *
   * @return all resources, by kind then order
   */
  public List<Resource> all() {
    List<Resource> out = new ArrayList<>();
    resources.values().forEach(out::addAll);
    return out;
  }

  /**
   * One resource.
   *
   * @param key the key
   * @return the resource, if stored
   */
  public Optional<Resource> find(Resource.Key key) {
    return of(key.kind()).stream().filter(r -> r.name().equals(key.name())).findFirst();
  }

  /**
   * The largest seq in use.
   *
   * @return the seq, or 0
   */
  public long maxSeq() {
    return all().stream().mapToLong(Resource::seq).max().orElse(0);
  }

  /**
   * The state as one document in the config file format, with selectors.
   *
   * @return {@code {listeners: [...], clusters: [...], routes: [...]}}
   */
  public Map<String, Object> document() {
    Map<String, Object> doc = new LinkedHashMap<>();
    for (Kind k : Kind.values()) {
      List<Object> items = new ArrayList<>();
      of(k).forEach(r -> items.add(r.tree()));
      doc.put(k.plural(), items);
    }
    return doc;
  }
}
