package io.plugmesh.ctl;

import io.plugmesh.config.BackendRef;
import io.plugmesh.config.ConfigLoader;
import io.plugmesh.config.ListenerConfig;
import io.plugmesh.config.MeshConfig;
import io.plugmesh.config.PluginEntry;
import io.plugmesh.config.RouteConfig;
import io.plugmesh.config.route.CompiledRoute;
import io.plugmesh.config.route.RouteTable;
import io.plugmesh.control.api.v1.PluginDescriptor;
import io.plugmesh.control.api.v1.ProxyConfigRequest;
import io.plugmesh.control.api.v1.ProxyConfigResponse;
import io.plugmesh.control.server.store.Documents;
import io.plugmesh.filters.internal.PathNormalizer;
import io.plugmesh.filters.internal.RejectedPathException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Which route a sample request matches on a proxy, and its chain. */
@Command(
    name = "explain",
    description = {
      "For a proxy and a sample request: the route it matches (with the proxy's own matcher), and"
          + " the ordered chain with each plugin's mode, phase and config merged with its schema"
          + " defaults.",
      "Exit 0 matched, 1 no route matches, 2 error."
    })
final class ExplainCommand extends PlugmeshCtl.Sub {
  @Option(names = "--node", required = true, description = "the proxy's node id")
  String node;

  @Option(
      names = {"-X", "--method"},
      description = "the request method (default GET)")
  String method = "GET";

  @Option(
      names = {"-H", "--header"},
      description = "a request header name=value (repeatable)")
  List<String> headers = new ArrayList<>();

  @Option(names = "--authority", description = "the Host / :authority")
  String authority;

  @Option(names = "--listener", description = "only the routes this listener serves")
  String listener;

  @Option(
      names = {"-o", "--output"},
      description = "text | json (default text)")
  String output = "text";

  @Parameters(index = "0", description = "the request path, e.g. /reviews/1?x=y")
  String path;

  @Override
  public Integer call() throws Exception {
    ProxyConfigResponse r;
    try (AdminClient client = root.client()) {
      r = client.stub().proxyConfig(ProxyConfigRequest.newBuilder().setNodeId(node).build());
    }
    MeshConfig config = ConfigLoader.fromTree(Documents.fromJson(r.getDocument()), "proxy " + node);
    Map<String, PluginDescriptor> plugins = new HashMap<>();
    r.getPluginsList().forEach(p -> plugins.put(p.getName(), p));
    RouteTable table;
    if (listener != null) {
      ListenerConfig l =
          config.listeners().stream()
              .filter(x -> x.name().equals(listener))
              .findFirst()
              .orElseThrow(
                  () ->
                      new IllegalArgumentException(
                          "proxy " + node + " has no listener '" + listener + "'"));
      table = RouteTable.compile(config.routes(), l.routes());
    } else {
      table = RouteTable.compile(config.routes());
    }
    Map<String, String> headerMap = new HashMap<>();
    for (String h : headers) {
      int eq = h.indexOf('=');
      int colon = h.indexOf(':');
      int at = eq < 0 ? colon : (colon < 0 ? eq : Math.min(eq, colon));
      if (at <= 0) {
        throw new IllegalArgumentException("--header " + h + " (expected: name=value)");
      }
      headerMap.put(h.substring(0, at).trim().toLowerCase(Locale.ROOT), h.substring(at + 1).trim());
    }
    String rawPath = path.contains("?") ? path.substring(0, path.indexOf('?')) : path;
    String normalized;
    try {
      normalized = PathNormalizer.normalize(rawPath);
    } catch (RejectedPathException e) {
      root.err.println("the proxy rejects the path " + path + ": " + e.getMessage());
      return PlugmeshCtl.REJECTED;
    }
    Optional<CompiledRoute> match =
        table.match(method.toUpperCase(Locale.ROOT), normalized, authority, headerMap::get);
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("node", node);
    result.put("version", r.getVersion());
    result.put("request", method.toUpperCase(Locale.ROOT) + " " + normalized);
    if (match.isEmpty()) {
      result.put("route", null);
      print(result);
      if (!output.equals("json")) {
        root.out.println("no route matches: the proxy answers 404");
      }
      return PlugmeshCtl.REJECTED;
    }
    RouteConfig route = match.get().config();
    result.put("route", route.name());
    List<Object> backends = new ArrayList<>();
    for (BackendRef b : route.backends()) {
      backends.add(b.cluster() + " (weight " + b.weight() + ")");
    }
    result.put("backends", backends);
    List<Object> chain = new ArrayList<>();
    for (int i = 0; i < route.plugins().size(); i++) {
      PluginEntry p = route.plugins().get(i);
      Map<String, Object> link = new LinkedHashMap<>();
      link.put("position", i + 1);
      link.put("name", p.name());
      link.put("mode", p.mode().name().toLowerCase(Locale.ROOT));
      PluginDescriptor d = plugins.get(p.name());
      link.put("phase", d == null ? "unknown" : d.getPhase());
      link.put("version", d == null ? "" : d.getVersion());
      link.put("config", merged(p.config(), d));
      chain.add(link);
    }
    result.put("chain", chain);
    print(result);
    return PlugmeshCtl.OK;
  }

  /** The entry's config with the schema's top-level defaults filled in. */
  static Map<String, Object> merged(Object config, PluginDescriptor d) {
    Map<String, Object> out = new TreeMap<>();
    if (d != null
        && !d.getConfigSchema().isBlank()
        && Documents.fromJson(d.getConfigSchema()) instanceof Map<?, ?> schema
        && schema.get("properties") instanceof Map<?, ?> props) {
      props.forEach(
          (k, v) -> {
            if (v instanceof Map<?, ?> prop && prop.containsKey("default")) {
              out.put(String.valueOf(k), prop.get("default"));
            }
          });
    }
    if (config instanceof Map<?, ?> m) {
      m.forEach((k, v) -> out.put(String.valueOf(k), v));
    }
    return out;
  }

  private void print(Map<String, Object> result) {
    if (output.equals("json")) {
      root.out.println(Documents.prettyJson(result));
      return;
    }
    root.out.println(
        "proxy:    " + result.get("node") + " (config version " + result.get("version") + ")");
    root.out.println("request:  " + result.get("request"));
    if (result.get("route") == null) {
      return;
    }
    root.out.println("route:    " + result.get("route"));
    root.out.println("backends: " + String.join(", ", result.get("backends").toString()));
    List<?> chain = (List<?>) result.get("chain");
    if (chain.isEmpty()) {
      root.out.println("chain:    (no plugins)");
      return;
    }
    root.out.println("chain:");
    for (Object o : chain) {
      Map<?, ?> link = (Map<?, ?>) o;
      root.out.printf(
          "  %s. %s  mode=%s  phase=%s  config=%s%n",
          link.get("position"),
          link.get("name"),
          link.get("mode"),
          link.get("phase"),
          Documents.json(link.get("config")));
    }
  }
}
