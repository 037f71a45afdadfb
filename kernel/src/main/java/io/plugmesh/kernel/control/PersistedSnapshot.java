package io.plugmesh.kernel.control;

import io.plugmesh.control.api.v1.Snapshot;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;

/** The last good control snapshot on disk, written atomically (temp file, then rename). */
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
    Path tmp = Files.createTempFile(dir, FILE, ".tmp");
    try {
      Files.write(tmp, full.toByteArray());
      try {
        Files.move(
            tmp,
            dir.resolve(FILE),
            StandardCopyOption.ATOMIC_MOVE,
            StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, dir.resolve(FILE), StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
