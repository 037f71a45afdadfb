package io.plugmesh.control.server.store;

import static java.util.Objects.requireNonNull;

import java.util.Map;

/**
 * One stored resource.
 *
 * @param kind the kind
 * @param name the unique name within its kind
 * @param tree the resource in the config file format (canonical), with an optional {@code selector}
 * @param seq its position among resources of its kind (routes match in this order)
 */
public record Resource(Kind kind, String name, Map<String, Object> tree, long seq) {
  /** Checks the parts. */
  public Resource {
    requireNonNull(kind, "kind");
    requireNonNull(name, "name");
    requireNonNull(tree, "tree");
  }

  /**
   * This resource's key.
   *
   * @return the key
   */
  public Key key() {
    return new Key(kind, name);
  }

  /**
   * A resource's identity.
   *
   * @param kind the kind
   * @param name the name
   */
  public record Key(Kind kind, String name) {
    @Override
    public String toString() {
      return kind.singular() + "/" + name;
    }
  }
}
