package io.plugmesh.ctl;

import io.plugmesh.control.api.v1.ApplyRequest;
import io.plugmesh.control.api.v1.ApplyResponse;
import io.plugmesh.control.api.v1.GetRequest;
import io.plugmesh.control.server.store.Documents;
import io.plugmesh.control.server.store.Kind;
import io.plugmesh.control.server.store.Resource;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** What apply would change. */
@Command(
    name = "diff",
    description = {
      "Show what apply -f would change (validated on the server, nothing stored).",
      "Exit 0 no changes, 1 changes, 2 or more an error (3: the file is rejected)."
    })
final class DiffCommand extends PlugmeshCtl.Sub {
  /** The file would be rejected by validation. */
  static final int INVALID = 3;

  @Option(
      names = {"-f", "--file"},
      required = true,
      description = "FILE, DIR or - (stdin)")
  String file;

  @Override
  public Integer call() throws Exception {
    String text = Inputs.read(file, root.in);
    try (AdminClient client = root.client()) {
      ApplyResponse r =
          client.stub().apply(ApplyRequest.newBuilder().setDocument(text).setDryRun(true).build());
      if (r.getProblemsCount() > 0) {
        root.printProblems(r.getProblemsList(), r.getMessage());
        return INVALID;
      }
      Map<String, Object> proposed = Documents.parse(text, file);
      List<Resource> incoming = Documents.split(proposed, file);
      boolean changed = false;
      for (String line : r.getChangesList()) {
        if (line.endsWith(" unchanged")) {
          continue;
        }
        changed = true;
        String key = line.substring(0, line.lastIndexOf(' '));
        root.out.println((line.endsWith(" created") ? "+ " : "~ ") + key);
        if (line.endsWith(" configured")) {
          int slash = key.indexOf('/');
          Kind kind = Kind.parse(key.substring(0, slash));
          String name = key.substring(slash + 1);
          String current =
              client
                  .stub()
                  .get(GetRequest.newBuilder().setKind(kind.plural()).setName(name).build())
                  .getDocument();
          Object before =
              ((List<?>) ((Map<?, ?>) Documents.fromJson(current)).get(kind.plural())).get(0);
          Object after =
              incoming.stream()
                  .filter(x -> x.kind() == kind && x.name().equals(name))
                  .findFirst()
                  .orElseThrow()
                  .tree();
          printLineDiff(Documents.yaml(before), Documents.yaml(after));
        }
      }
      return changed ? PlugmeshCtl.REJECTED : PlugmeshCtl.OK;
    }
  }

  private void printLineDiff(String before, String after) {
    List<String> a = List.of(before.split("\n"));
    List<String> b = List.of(after.split("\n"));
    for (String line : a) {
      if (!b.contains(line)) {
        root.out.println("    - " + line);
      }
    }
    for (String line : b) {
      if (!a.contains(line)) {
        root.out.println("    + " + line);
      }
    }
  }
}
