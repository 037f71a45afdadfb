package io.plugmesh.control.server.store;

import java.util.Locale;

/** The kinds of stored resources, in the order a config document lists them. */
public enum Kind {
  /** A listening socket. */
  LISTENER("listeners"),
  /** An upstream service. */
  CLUSTER("clusters"),
  /** A route with its plugin chain. */
  ROUTE("routes");

  private final String plural;

  Kind(String plural) {
    this.plural = plural;
  }

  /**
   * The document key, e.g. {@code routes}.
   *
   * @return the plural name
   */
  public String plural() {
    return plural;
  }

  /**
   * The singular name, e.g. {@code route}.
   *
   * @return the name
   */
  public String singular() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * Reads a kind from {@code route}, {@code routes}, {@code rt} style names.
   *
   * @param text the name
   * @return the kind
   * @throws IllegalArgumentException naming the accepted names
   */
  public static Kind parse(String text) {
    String t = text.toLowerCase(Locale.ROOT);
    for (Kind k : values()) {
      if (t.equals(k.singular()) || t.equals(k.plural)) {
        return k;
      }
    }
    throw new IllegalArgumentException(
        "kind '" + text + "' (expected: listener(s), cluster(s) or route(s))");
  }
}
