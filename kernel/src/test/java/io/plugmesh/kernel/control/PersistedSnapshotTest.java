package io.plugmesh.kernel.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.UnknownFieldSet;
import io.plugmesh.control.api.ProtoTrees;
import io.plugmesh.control.api.v1.Snapshot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PersistedSnapshotTest {
  @TempDir Path dir;

  @Test
  void aSavedSnapshotLoadsAsSaved() throws IOException {
    Snapshot saved =
        Snapshot.newBuilder()
            .setVersion("v1")
            .setFull(true)
            .addClusters(ProtoTrees.struct(Map.of("name", "c", "endpoints", List.of())))
            .build();
    PersistedSnapshot.save(dir, saved);
    assertThat(PersistedSnapshot.load(dir)).contains(saved);
  }

  /** A file from a proxy of the typed-resource protocol must not load as an empty config. */
  @Test
  void aSnapshotOfAnEarlierProtocolIsRefused() throws IOException {
    Snapshot old =
        Snapshot.newBuilder()
            .setVersion("v0")
            .setFull(true)
            .setUnknownFields(
                UnknownFieldSet.newBuilder()
                    .addField(
                        6,
                        UnknownFieldSet.Field.newBuilder()
                            .addLengthDelimited(com.google.protobuf.ByteString.copyFromUtf8("c"))
                            .build())
                    .build())
            .build();
    Files.write(dir.resolve(PersistedSnapshot.FILE), old.toByteArray());
    assertThatThrownBy(() -> PersistedSnapshot.load(dir))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("fields [6] this proxy does not know");
  }
}
