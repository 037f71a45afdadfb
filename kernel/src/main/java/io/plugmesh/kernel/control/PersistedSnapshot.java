package io.plugmesh.kernel.control;

import io.plugmesh.config.io.AtomicFiles;
import io.plugmesh.control.api.v1.Snapshot;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** The last good control snapshot on disk, replaced as a whole and readable by its owner alone. */
final class PersistedSnapshot {
  /** The file name inside the state folder. */
  static final String FILE = "control-snapshot.pb";

  private PersistedSnapshot() {}

  static Optional<Snapshot> load(Path dir) throws IOException {
    Path file = dir.resolve(FILE);
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    Snapshot snapshot;
    try (InputStream in = Files.newInputStream(file)) {
      snapshot = Snapshot.parseFrom(in);
    }
    if (!snapshot.getUnknownFields().asMap().isEmpty()) {
      // e.g. resources in the typed messages of an earlier protocol: this proxy would read none
      throw new IOException(
          file
              + " has fields "
              + snapshot.getUnknownFields().asMap().keySet()
              + " this proxy does not know (expected: a snapshot of this protocol version)");
    }
    return Optional.of(snapshot);
  }

  static void save(Path dir, Snapshot full) throws IOException {
    Files.createDirectories(dir);
    // Private: a snapshot holds every route's plugin config, secrets included.
    AtomicFiles.writePrivate(dir.resolve(FILE), full.toByteArray());
  }
}
