package io.plugmesh.control.server.testing;

import io.plugmesh.control.server.ControlServer;
import java.nio.file.Path;
import java.util.List;

/** Starts control replicas on loopback for tests. */
public final class ControlFixture {
  /** The admin token tests use. */
  public static final String TOKEN = "test-token";

  private ControlFixture() {}

  /** A file-mode replica over {@code dir}. */
  public static ControlServer files(Path dir) throws Exception {
    return files(dir, 0);
  }

  /** A file-mode replica over {@code dir} on a given gRPC port (0 for ephemeral). */
  public static ControlServer files(Path dir, int grpcPort) throws Exception {
    return ControlServer.start(
        new ControlServer.Options(
            "127.0.0.1", grpcPort, 0, TOKEN, null, dir, List.of(), null, "files", null));
  }

  /** An etcd-mode replica. */
  public static ControlServer etcd(String endpoint, String name) throws Exception {
    return ControlServer.start(
        new ControlServer.Options(
            "127.0.0.1", 0, 0, TOKEN, null, null, List.of(endpoint), "/plugmesh", name, null));
  }

  /** The gRPC address of a replica. */
  public static String address(ControlServer server) {
    return "127.0.0.1:" + server.grpcPort();
  }
}
