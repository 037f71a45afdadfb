package io.plugmesh.ctl;

import io.plugmesh.control.api.v1.DeleteRequest;
import io.plugmesh.control.api.v1.DeleteResponse;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** Deletes resources. */
@Command(
    name = "delete",
    description = {
      "Delete resources, unless what remains is invalid (e.g. a route still uses the cluster).",
      "Exit 0 deleted, 1 rejected or not found, 2 error."
    })
final class DeleteCommand extends PlugmeshCtl.Sub {
  @Parameters(index = "0", description = "route | cluster | listener")
  String kind;

  @Parameters(index = "1..*", arity = "1..*", description = "names")
  List<String> names;

  @Override
  public Integer call() throws Exception {
    try (AdminClient client = root.client()) {
      DeleteResponse r =
          client.stub().delete(DeleteRequest.newBuilder().setKind(kind).addAllNames(names).build());
      if (r.getProblemsCount() > 0) {
        root.printProblems(r.getProblemsList(), r.getMessage());
        return PlugmeshCtl.REJECTED;
      }
      if (r.getDeletedCount() == 0) {
        root.err.println("plugmeshctl: " + r.getMessage());
        return PlugmeshCtl.ERROR;
      }
      r.getDeletedList().forEach(d -> root.out.println(d + " deleted"));
      return PlugmeshCtl.OK;
    }
  }
}
