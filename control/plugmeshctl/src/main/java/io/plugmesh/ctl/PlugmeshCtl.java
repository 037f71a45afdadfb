package io.plugmesh.ctl;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.grpc.StatusRuntimeException;
import io.plugmesh.control.api.v1.Problem;
import io.plugmesh.control.server.store.Documents;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code plugmeshctl}: validate, diff, apply, get, delete, status and explain plugmesh config. Exit
 * codes: 0 success (diff: no changes), 1 rejected or changes (diff), 2 or more an error.
 */
@Command(
    name = "plugmeshctl",
    mixinStandardHelpOptions = true,
    version = "plugmeshctl 0.1.0",
    description = "Manage plugmesh config through the control service.",
    subcommands = {
      ValidateCommand.class,
      DiffCommand.class,
      ApplyCommand.class,
      GetCommand.class,
      DeleteCommand.class,
      StatusCommand.class,
      ExplainCommand.class
    })
public final class PlugmeshCtl implements Callable<Integer> {
  /** Success; for diff: no changes. */
  public static final int OK = 0;

  /** Rejected by validation; for diff: there are changes; for explain: no route matches. */
  public static final int REJECTED = 1;

  /** Usage error, unreachable server, wrong token, unreadable file. */
  public static final int ERROR = 2;

  /** The default control replica. */
  public static final String DEFAULT_SERVER = "127.0.0.1:15010";

  @Option(
      names = "--server",
      description =
          "control replica host:port (default: $PLUGMESH_SERVER or " + DEFAULT_SERVER + ")")
  String server;

  @Option(names = "--token", description = "admin token (default: $PLUGMESH_TOKEN)")
  String token;

  @Option(names = "--token-file", description = "read the admin token from a file")
  Path tokenFile;

  PrintWriter out;
  PrintWriter err;
  InputStream in;

  @Override
  public Integer call() {
    err.println("a command is required; see plugmeshctl --help");
    return ERROR;
  }

  /**
   * Runs a command line.
   *
   * @param args the arguments
   * @param out standard output
   * @param err standard error
   * @param in standard input (for {@code -f -})
   * @return the exit code
   */
  public static int run(String[] args, PrintWriter out, PrintWriter err, InputStream in) {
    PlugmeshCtl root = new PlugmeshCtl();
    root.out = out;
    root.err = err;
    root.in = in;
    CommandLine cl = new CommandLine(root);
    cl.setOut(out);
    cl.setErr(err);
    cl.setExitCodeExceptionMapper(e -> ERROR);
    cl.setParameterExceptionHandler(
        (e, a) -> {
          err.println(e.getMessage());
          e.getCommandLine().usage(err);
          return ERROR;
        });
    cl.setExecutionExceptionHandler(
        (e, c, p) -> {
          if (e instanceof StatusRuntimeException s) {
            err.println(
                "plugmeshctl: " + s.getStatus().getCode() + ": " + s.getStatus().getDescription());
          } else {
            err.println("plugmeshctl: " + e.getMessage());
          }
          return ERROR;
        });
    int code = cl.execute(args);
    out.flush();
    err.flush();
    return code;
  }

  /**
   * Entry point.
   *
   * @param args the command line
   */
  public static void main(String[] args) {
    PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
    PrintWriter err = new PrintWriter(System.err, true, StandardCharsets.UTF_8);
    System.exit(run(args, out, err, System.in));
  }

  AdminClient client() throws Exception {
    String s =
        server != null ? server : System.getenv().getOrDefault("PLUGMESH_SERVER", DEFAULT_SERVER);
    String t = token;
    if (t == null && tokenFile != null) {
      t = Files.readString(tokenFile, StandardCharsets.UTF_8).trim();
    }
    if (t == null) {
      t = System.getenv("PLUGMESH_TOKEN");
    }
    return new AdminClient(s, t);
  }

  void printProblems(List<Problem> problems, String message) {
    if (!message.isEmpty()) {
      err.println(message);
    } else {
      for (Problem p : problems) {
        err.println("  " + p.getField() + ": " + p.getMessage());
      }
    }
  }

  static String json(Message m) {
    try {
      return JsonFormat.printer().print(m);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    }
  }

  static String yaml(Object tree) {
    return Documents.yaml(tree);
  }

  /** Base for subcommands: access to the root's streams and options. */
  abstract static class Sub implements Callable<Integer> {
    @ParentCommand PlugmeshCtl root;
  }
}
