package io.plugmesh.ctl;

import io.plugmesh.control.api.v1.ApplyRequest;
import io.plugmesh.control.api.v1.ApplyResponse;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Validates on the server and stores. */
@Command(
    name = "apply",
    description = {
      "Validate and store resources (adds or replaces; does not delete others).",
      "Exit 0 stored, 1 rejected (nothing stored), 2 error."
    })
final class ApplyCommand extends PlugmeshCtl.Sub {
  @Option(
      names = {"-f", "--file"},
      required = true,
      description = "FILE, DIR or - (stdin)")
  String file;

  @Option(names = "--dry-run", description = "validate only")
  boolean dryRun;

  @Override
  public Integer call() throws Exception {
    String text = Inputs.read(file, root.in);
    try (AdminClient client = root.client()) {
      ApplyResponse r =
          client
              .stub()
              .apply(ApplyRequest.newBuilder().setDocument(text).setDryRun(dryRun).build());
      if (r.getProblemsCount() > 0) {
        root.printProblems(r.getProblemsList(), r.getMessage());
        return PlugmeshCtl.REJECTED;
      }
      if (r.getChangesCount() == 0 && !r.getMessage().equals("no changes")) {
        root.err.println("plugmeshctl: " + r.getMessage());
        return PlugmeshCtl.ERROR;
      }
      r.getChangesList().forEach(root.out::println);
      if (dryRun) {
        root.out.println("(dry run: nothing stored)");
      }
      return PlugmeshCtl.OK;
    }
  }
}
