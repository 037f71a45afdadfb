package io.plugmesh.control.api;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ListValue;
import com.google.protobuf.NullValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.plugmesh.control.api.v1.Backend;
import io.plugmesh.control.api.v1.Cluster;
import io.plugmesh.control.api.v1.Endpoint;
import io.plugmesh.control.api.v1.Listener;
import io.plugmesh.control.api.v1.Match;
import io.plugmesh.control.api.v1.PluginEntry;
import io.plugmesh.control.api.v1.Route;
import io.plugmesh.control.api.v1.Selector;
import io.plugmesh.control.api.v1.Tls;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Converts config resources between their protobuf messages and the tree of plain values the YAML
 * config model reads ({@code Map<String, ?>}, {@code List<?>}, {@code String}, {@code Number},
 * {@code Boolean}, null) with the YAML field names ({@code pathPrefix}, {@code connectTimeout}). A
 * resource's {@code selector} travels in the tree under the key {@value #SELECTOR}.
 */
public final class ProtoTrees {
  /** The tree key of a resource's selector. */
  public static final String SELECTOR = "selector";

  private ProtoTrees() {}

  // ---- Struct <-> plain values

  /**
   * A plain map as a {@code Struct}.
   *
   * @param map string keys to plain values
   * @return the struct
   */
  public static Struct struct(Map<?, ?> map) {
    Struct.Builder b = Struct.newBuilder();
    for (Map.Entry<?, ?> e : map.entrySet()) {
      b.putFields(String.valueOf(e.getKey()), value(e.getValue()));
    }
    return b.build();
  }

  /**
   * A plain value as a protobuf {@code Value}.
   *
   * @param v a plain value
   * @return the value
   */
  public static Value value(Object v) {
    if (v == null) {
      return Value.newBuilder().setNullValue(NullValue.NULL_VALUE).build();
    } else if (v instanceof String s) {
      return Value.newBuilder().setStringValue(s).build();
    } else if (v instanceof Boolean bool) {
      return Value.newBuilder().setBoolValue(bool).build();
    } else if (v instanceof Number n) {
      return Value.newBuilder().setNumberValue(n.doubleValue()).build();
    } else if (v instanceof Map<?, ?> m) {
      return Value.newBuilder().setStructValue(struct(m)).build();
    } else if (v instanceof List<?> l) {
      ListValue.Builder lb = ListValue.newBuilder();
      for (Object o : l) {
        lb.addValues(value(o));
      }
      return Value.newBuilder().setListValue(lb).build();
    }
    throw new IllegalArgumentException(
        "value of type " + v.getClass().getName() + " (expected: map, list, string, number, bool)");
  }

  /**
   * A {@code Struct} as an ordered map of plain values. Whole numbers become {@code Integer} (or
   * {@code Long} when larger), so integer schema checks and config parsers see integers.
   *
   * @param struct the struct
   * @return a mutable map
   */
  public static Map<String, Object> plain(Struct struct) {
    Map<String, Object> m = new LinkedHashMap<>();
    // Struct fields have no order; sort for stable output.
    for (Map.Entry<String, Value> e : new TreeMap<>(struct.getFieldsMap()).entrySet()) {
      m.put(e.getKey(), plain(e.getValue()));
    }
    return m;
  }

  /**
   * A protobuf {@code Value} as a plain value.
   *
   * @param v the value
   * @return a plain value
   */
  public static Object plain(Value v) {
    return switch (v.getKindCase()) {
      case NULL_VALUE, KIND_NOT_SET -> null;
      case STRING_VALUE -> v.getStringValue();
      case BOOL_VALUE -> v.getBoolValue();
      case NUMBER_VALUE -> number(v.getNumberValue());
      case STRUCT_VALUE -> plain(v.getStructValue());
      case LIST_VALUE -> {
        List<Object> l = new ArrayList<>();
        for (Value item : v.getListValue().getValuesList()) {
          l.add(plain(item));
        }
        yield l;
      }
    };
  }

  private static Object number(double d) {
    if (d == Math.rint(d) && !Double.isInfinite(d) && Math.abs(d) < 9.007199254740992E15) {
      long l = (long) d;
      if (l >= Integer.MIN_VALUE && l <= Integer.MAX_VALUE) {
        return (int) l;
      }
      return l;
    }
    return d;
  }

  // ---- resources -> trees

  /**
   * A listener as a tree.
   *
   * @param l the listener
   * @return the tree
   */
  public static Map<String, Object> tree(Listener l) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", l.getName());
    m.put("address", l.getAddress());
    if (l.hasTls()) {
      Map<String, Object> tls = new LinkedHashMap<>();
      tls.put("certificateFile", l.getTls().getCertificateFile());
      tls.put("privateKeyFile", l.getTls().getPrivateKeyFile());
      m.put("tls", tls);
    }
    if (l.getRoutesCount() > 0) {
      m.put("routes", new ArrayList<Object>(l.getRoutesList()));
    }
    putSelector(m, l.hasSelector() ? l.getSelector() : null);
    return m;
  }

  /**
   * A cluster as a tree.
   *
   * @param c the cluster
   * @return the tree
   */
  public static Map<String, Object> tree(Cluster c) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", c.getName());
    putIfSet(m, "lb", c.getLb());
    putIfSet(m, "protocol", c.getProtocol());
    putIfSet(m, "connectTimeout", c.getConnectTimeout());
    if (c.getMaxConnectionsPerEndpoint() != 0) {
      m.put("maxConnectionsPerEndpoint", c.getMaxConnectionsPerEndpoint());
    }
    List<Object> endpoints = new ArrayList<>();
    for (Endpoint e : c.getEndpointsList()) {
      Map<String, Object> em = new LinkedHashMap<>();
      em.put("address", e.getAddress());
      if (e.getWeight() != 0) {
        em.put("weight", e.getWeight());
      }
      endpoints.add(em);
    }
    m.put("endpoints", endpoints);
    putSelector(m, c.hasSelector() ? c.getSelector() : null);
    return m;
  }

  /**
   * A route as a tree.
   *
   * @param r the route
   * @return the tree
   */
  public static Map<String, Object> tree(Route r) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", r.getName());
    if (r.hasMatch()) {
      Match match = r.getMatch();
      Map<String, Object> mm = new LinkedHashMap<>();
      switch (match.getPathCase()) {
        case PATH_PREFIX -> mm.put("pathPrefix", match.getPathPrefix());
        case PATH_EXACT -> mm.put("path", match.getPathExact());
        case PATH_REGEX -> mm.put("pathRegex", match.getPathRegex());
        case PATH_NOT_SET -> {}
      }
      if (match.getMethodsCount() > 0) {
        mm.put("methods", new ArrayList<Object>(match.getMethodsList()));
      }
      if (match.getHeadersCount() > 0) {
        mm.put("headers", new LinkedHashMap<String, Object>(new TreeMap<>(match.getHeadersMap())));
      }
      if (match.getAuthoritiesCount() > 0) {
        mm.put("authority", new ArrayList<Object>(match.getAuthoritiesList()));
      }
      m.put("match", mm);
    }
    List<Object> backends = new ArrayList<>();
    for (Backend b : r.getBackendsList()) {
      Map<String, Object> bm = new LinkedHashMap<>();
      bm.put("cluster", b.getCluster());
      bm.put("weight", b.getWeight());
      backends.add(bm);
    }
    m.put("backends", backends);
    putIfSet(m, "timeout", r.getTimeout());
    if (r.getPluginsCount() > 0) {
      List<Object> plugins = new ArrayList<>();
      for (PluginEntry p : r.getPluginsList()) {
        Map<String, Object> pm = new LinkedHashMap<>();
        pm.put("name", p.getName());
        putIfSet(pm, "mode", p.getMode());
        pm.put("config", p.hasConfig() ? plain(p.getConfig()) : new LinkedHashMap<>());
        plugins.add(pm);
      }
      m.put("plugins", plugins);
    }
    putSelector(m, r.hasSelector() ? r.getSelector() : null);
    return m;
  }

  // ---- trees -> resources (trees in the canonical form the config model writes)

  /**
   * A listener from a canonical tree.
   *
   * @param m the tree
   * @return the listener
   */
  public static Listener listener(Map<?, ?> m) {
    Listener.Builder b =
        Listener.newBuilder().setName(str(m.get("name"))).setAddress(str(m.get("address")));
    if (m.get("tls") instanceof Map<?, ?> tls) {
      b.setTls(
          Tls.newBuilder()
              .setCertificateFile(str(tls.get("certificateFile")))
              .setPrivateKeyFile(str(tls.get("privateKeyFile"))));
    }
    for (Object route : list(m.get("routes"))) {
      b.addRoutes(str(route));
    }
    Selector s = selector(m.get(SELECTOR));
    if (s != null) {
      b.setSelector(s);
    }
    return b.build();
  }

  /**
   * A cluster from a canonical tree.
   *
   * @param m the tree
   * @return the cluster
   */
  public static Cluster cluster(Map<?, ?> m) {
    Cluster.Builder b =
        Cluster.newBuilder()
            .setName(str(m.get("name")))
            .setLb(str(m.get("lb")))
            .setProtocol(str(m.get("protocol")))
            .setConnectTimeout(str(m.get("connectTimeout")))
            .setMaxConnectionsPerEndpoint(integer(m.get("maxConnectionsPerEndpoint")));
    for (Object o : list(m.get("endpoints"))) {
      Map<?, ?> e = (Map<?, ?>) o;
      b.addEndpoints(
          Endpoint.newBuilder()
              .setAddress(str(e.get("address")))
              .setWeight(integer(e.get("weight"))));
    }
    Selector s = selector(m.get(SELECTOR));
    if (s != null) {
      b.setSelector(s);
    }
    return b.build();
  }

  /**
   * A route from a canonical tree.
   *
   * @param m the tree
   * @return the route
   */
  public static Route route(Map<?, ?> m) {
    Route.Builder b = Route.newBuilder().setName(str(m.get("name")));
    if (m.get("match") instanceof Map<?, ?> mm) {
      Match.Builder match = Match.newBuilder();
      if (mm.get("pathPrefix") != null) {
        match.setPathPrefix(str(mm.get("pathPrefix")));
      } else if (mm.get("path") != null) {
        match.setPathExact(str(mm.get("path")));
      } else if (mm.get("pathRegex") != null) {
        match.setPathRegex(str(mm.get("pathRegex")));
      }
      for (Object method : list(mm.get("methods"))) {
        match.addMethods(str(method));
      }
      if (mm.get("headers") instanceof Map<?, ?> headers) {
        headers.forEach((k, v) -> match.putHeaders(str(k), str(v)));
      }
      Object authority = mm.get("authority");
      if (authority instanceof String a) {
        match.addAuthorities(a);
      } else {
        for (Object a : list(authority)) {
          match.addAuthorities(str(a));
        }
      }
      b.setMatch(match);
    }
    for (Object o : list(m.get("backends"))) {
      Map<?, ?> bm = (Map<?, ?>) o;
      b.addBackends(
          Backend.newBuilder()
              .setCluster(str(bm.get("cluster")))
              .setWeight(integer(bm.get("weight"))));
    }
    if (m.get("cluster") != null) {
      b.addBackends(Backend.newBuilder().setCluster(str(m.get("cluster"))).setWeight(1));
    }
    if (m.get("timeout") != null) {
      b.setTimeout(str(m.get("timeout")));
    }
    for (Object o : list(m.get("plugins"))) {
      Map<?, ?> pm = (Map<?, ?>) o;
      PluginEntry.Builder pb = PluginEntry.newBuilder().setName(str(pm.get("name")));
      if (pm.get("mode") != null) {
        pb.setMode(str(pm.get("mode")));
      }
      if (pm.get("config") instanceof Map<?, ?> config) {
        pb.setConfig(struct(config));
      }
      b.addPlugins(pb);
    }
    Selector s = selector(m.get(SELECTOR));
    if (s != null) {
      b.setSelector(s);
    }
    return b.build();
  }

  /**
   * A selector from its tree ({@code {service: x, labels: {k: v}}}).
   *
   * @param tree the tree, or null
   * @return the selector, or null when absent or empty
   */
  public static Selector selector(Object tree) {
    if (!(tree instanceof Map<?, ?> m)) {
      return null;
    }
    Selector.Builder b = Selector.newBuilder();
    if (m.get("service") != null) {
      b.setService(str(m.get("service")));
    }
    if (m.get("labels") instanceof Map<?, ?> labels) {
      labels.forEach((k, v) -> b.putLabels(str(k), str(v)));
    }
    Selector s = b.build();
    return s.getService().isEmpty() && s.getLabelsCount() == 0 ? null : s;
  }

  /**
   * Whether a proxy with this service and labels is selected.
   *
   * @param selector the selector, or null (selects every proxy)
   * @param service the proxy's service
   * @param labels the proxy's labels
   * @return true if selected
   */
  public static boolean selects(Selector selector, String service, Map<String, String> labels) {
    requireNonNull(labels, "labels");
    if (selector == null) {
      return true;
    }
    if (!selector.getService().isEmpty() && !selector.getService().equals(service)) {
      return false;
    }
    for (Map.Entry<String, String> e : selector.getLabelsMap().entrySet()) {
      if (!e.getValue().equals(labels.get(e.getKey()))) {
        return false;
      }
    }
    return true;
  }

  private static void putSelector(Map<String, Object> m, Selector s) {
    if (s == null || (s.getService().isEmpty() && s.getLabelsCount() == 0)) {
      return;
    }
    Map<String, Object> sm = new LinkedHashMap<>();
    if (!s.getService().isEmpty()) {
      sm.put("service", s.getService());
    }
    if (s.getLabelsCount() > 0) {
      sm.put("labels", new LinkedHashMap<String, Object>(new TreeMap<>(s.getLabelsMap())));
    }
    m.put(SELECTOR, sm);
  }

  private static void putIfSet(Map<String, Object> m, String key, String value) {
    if (!value.isEmpty()) {
      m.put(key, value);
    }
  }

  private static String str(Object o) {
    return o == null ? "" : String.valueOf(o);
  }

  private static int integer(Object o) {
    if (o instanceof Number n) {
      return n.intValue();
    }
    return o == null ? 0 : Integer.parseInt(String.valueOf(o));
  }

  private static List<?> list(Object o) {
    return o instanceof List<?> l ? l : List.of();
  }
}
