package io.plugmesh.ctl;

import io.plugmesh.control.api.v1.GetRequest;
import io.plugmesh.control.api.v1.PluginDescriptor;
import io.plugmesh.control.api.v1.PluginsRequest;
import io.plugmesh.control.api.v1.PluginsResponse;
import io.plugmesh.control.server.store.Documents;
import io.plugmesh.control.server.store.Kind;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Lists stored resources or the plugin catalog. */
@Command(
    name = "get",
    description = "List routes, clusters, listeners or plugins. Exit 0, or 2 on error.")
final class GetCommand extends PlugmeshCtl.Sub {
  @Parameters(index = "0", description = "routes | clusters | listeners | plugins | all")
  String what;

  @Parameters(index = "1", arity = "0..1", description = "one name")
  String name;

  @Option(
      names = {"-o", "--output"},
      description = "yaml | json | table (default table)")
  String output = "table";

  @Override
  public Integer call() throws Exception {
    if (!List.of("yaml", "json", "table").contains(output)) {
      root.err.println("-o " + output + " (expected: yaml, json or table)");
      return PlugmeshCtl.ERROR;
    }
    try (AdminClient client = root.client()) {
      if (what.equals("plugins") || what.equals("plugin")) {
        PluginsResponse r = client.stub().plugins(PluginsRequest.getDefaultInstance());
        switch (output) {
          case "json" -> root.out.println(PlugmeshCtl.json(r));
          case "yaml" -> root.out.print(PlugmeshCtl.yaml(Documents.fromJson(PlugmeshCtl.json(r))));
          default -> {
            Table t = new Table("NAME", "VERSION", "PHASE", "PLUGIN");
            for (PluginDescriptor d : r.getPluginsList()) {
              if (name == null || name.equals(d.getName())) {
                t.row(d.getName(), d.getVersion(), d.getPhase(), d.getPluginId());
              }
            }
            t.print(root.out);
          }
        }
        return PlugmeshCtl.OK;
      }
      Kind kind = what.equals("all") ? null : Kind.parse(what);
      String doc =
          client
              .stub()
              .get(
                  GetRequest.newBuilder()
                      .setKind(kind == null ? "all" : kind.plural())
                      .setName(name == null ? "" : name)
                      .build())
              .getDocument();
      Map<?, ?> tree = (Map<?, ?>) Documents.fromJson(doc);
      switch (output) {
        case "json" -> root.out.println(Documents.prettyJson(tree));
        case "yaml" -> root.out.print(Documents.yaml(tree));
        default -> table(tree, kind);
      }
      return PlugmeshCtl.OK;
    }
  }

  private void table(Map<?, ?> tree, Kind only) {
    for (Kind k : Kind.values()) {
      if (only != null && k != only) {
        continue;
      }
      List<?> items = (List<?>) tree.get(k.plural());
      Table t =
          switch (k) {
            case ROUTE -> new Table("ROUTE", "MATCH", "BACKENDS", "PLUGINS");
            case CLUSTER -> new Table("CLUSTER", "LB", "ENDPOINTS");
            case LISTENER -> new Table("LISTENER", "ADDRESS", "ROUTES");
          };
      for (Object o : items) {
        Map<?, ?> m = (Map<?, ?>) o;
        switch (k) {
          case ROUTE -> {
            List<String> backends = new ArrayList<>();
            for (Object b : (List<?>) m.get("backends")) {
              Map<?, ?> bm = (Map<?, ?>) b;
              backends.add(bm.get("cluster") + ":" + bm.get("weight"));
            }
            List<String> plugins = new ArrayList<>();
            if (m.get("plugins") instanceof List<?> ps) {
              for (Object p : ps) {
                Map<?, ?> pm = (Map<?, ?>) p;
                plugins.add(
                    pm.get("name")
                        + (("enforce".equals(pm.get("mode"))) ? "" : "(" + pm.get("mode") + ")"));
              }
            }
            t.row(
                String.valueOf(m.get("name")),
                String.valueOf(m.get("match")),
                String.join(",", backends),
                plugins.isEmpty() ? "-" : String.join(",", plugins));
          }
          case CLUSTER -> {
            List<String> eps = new ArrayList<>();
            for (Object e : (List<?>) m.get("endpoints")) {
              eps.add(String.valueOf(((Map<?, ?>) e).get("address")));
            }
            t.row(
                String.valueOf(m.get("name")),
                String.valueOf(m.get("lb")),
                eps.isEmpty() ? "-" : String.join(",", eps));
          }
          case LISTENER ->
              t.row(
                  String.valueOf(m.get("name")),
                  String.valueOf(m.get("address")),
                  m.get("routes") == null ? "*" : String.valueOf(m.get("routes")));
        }
      }
      t.print(root.out);
    }
  }
}
