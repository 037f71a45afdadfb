package io.plugmesh.config.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
  @TempDir Path dir;

  @Test
  void replacesTheWholeFileAndLeavesNoTemporaryFile() throws Exception {
    Path file = dir.resolve("state.json");
    AtomicFiles.write(file, "{\"v\": 1, \"long\": \"first\"}".getBytes());
    AtomicFiles.write(file, "{\"v\": 2}".getBytes());

    assertThat(file).hasContent("{\"v\": 2}");
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files).containsExactly(file);
    }
  }

  @Test
  void aPrivateFileIsTheOwnersAlone() throws Exception {
    assumeTrue(dir.getFileSystem().supportedFileAttributeViews().contains("posix"));
    Path key = dir.resolve("root.key");
    AtomicFiles.writePrivate(key, "secret".getBytes());
    Path cert = dir.resolve("root.pem");
    AtomicFiles.write(cert, "public".getBytes());

    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key)))
        .isEqualTo("rw-------");
    assertThat(Files.getPosixFilePermissions(cert))
        .containsAll(PosixFilePermissions.fromString("rw-------"));
    assertThat(key).hasContent("secret");
  }

  @Test
  void aMissingFolderFailsAndWritesNothing() {
    Path file = dir.resolve("absent").resolve("state.json");
    assertThatThrownBy(() -> AtomicFiles.write(file, new byte[] {1}))
        .isInstanceOf(IOException.class);
    assertThat(dir.resolve("absent")).doesNotExist();
  }
}
