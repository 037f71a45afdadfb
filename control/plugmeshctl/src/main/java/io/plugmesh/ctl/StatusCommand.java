package io.plugmesh.ctl;

import io.plugmesh.control.api.v1.ProxyStatus;
import io.plugmesh.control.api.v1.StatusRequest;
import io.plugmesh.control.api.v1.StatusResponse;
import java.time.Instant;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Each proxy's applied version. */
@Command(
    name = "status",
    description =
        "Each proxy's sent, acknowledged and rejected config version, and the last error."
            + " Exit 0, or 2 on error.")
final class StatusCommand extends PlugmeshCtl.Sub {
  @Option(
      names = {"-o", "--output"},
      description = "table | json (default table)")
  String output = "table";

  @Override
  public Integer call() throws Exception {
    try (AdminClient client = root.client()) {
      StatusResponse r = client.stub().status(StatusRequest.getDefaultInstance());
      if (output.equals("json")) {
        root.out.println(PlugmeshCtl.json(r));
        return PlugmeshCtl.OK;
      }
      Table t =
          new Table("NODE", "SERVICE", "CONNECTED", "REPLICA", "SENT", "ACKED", "STATE", "ERROR");
      for (ProxyStatus s : r.getProxiesList()) {
        String state;
        if (!s.getPendingError().isEmpty()) {
          state = "NOT PUSHED";
        } else if (s.getNackedAtMillis() > s.getAckedAtMillis()) {
          state =
              "NACK " + s.getNackedVersion() + " at " + Instant.ofEpochMilli(s.getNackedAtMillis());
        } else if (!s.getAckedVersion().isEmpty()
            && s.getAckedVersion().equals(s.getSentVersion())) {
          state = "SYNCED";
        } else {
          state = "PENDING";
        }
        String error = !s.getPendingError().isEmpty() ? s.getPendingError() : s.getError();
        t.row(
            s.getNodeId(),
            s.getService(),
            String.valueOf(s.getConnected()),
            s.getReplica(),
            s.getSentVersion(),
            s.getAckedVersion(),
            state,
            error.replace('\n', ' '));
      }
      t.print(root.out);
      return PlugmeshCtl.OK;
    }
  }
}
