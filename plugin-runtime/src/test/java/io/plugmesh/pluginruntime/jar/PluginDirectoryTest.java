package io.plugmesh.pluginruntime.jar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PluginDirectoryTest {
  @TempDir Path plugins;

  @Test
  void listsRegularJarsSortedAndAtMostTheBound() throws Exception {
    Files.write(plugins.resolve("c.jar"), new byte[] {1});
    Files.write(plugins.resolve("a.jar"), new byte[] {1});
    Files.write(plugins.resolve("b.jar"), new byte[] {1});
    Files.write(plugins.resolve("notes.txt"), new byte[] {1});
    Files.createDirectory(plugins.resolve("folder.jar"));

    assertThat(new PluginDirectory(plugins, 10).list())
        .contains(
            List.of(plugins.resolve("a.jar"), plugins.resolve("b.jar"), plugins.resolve("c.jar")));
    assertThat(new PluginDirectory(plugins, 2).list())
        .contains(List.of(plugins.resolve("a.jar"), plugins.resolve("b.jar")));
  }

  @Test
  void aMissingDirectoryHoldsNoJars() {
    assertThat(new PluginDirectory(plugins.resolve("absent"), 10).list()).contains(List.of());
    assertThatThrownBy(() -> new PluginDirectory(plugins, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxJars: 0 (expected: > 0)");
  }

  @Test
  void stagedCopiesOutliveTheOriginalAndGoWithTheDirectory() throws Exception {
    Path jar = Files.write(plugins.resolve("a.jar"), new byte[] {1, 2, 3});
    PluginDirectory directory = new PluginDirectory(plugins, 10);

    PluginDirectory.Staged first = directory.stage(jar);
    PluginDirectory.Staged second = directory.stage(jar);
    Files.write(jar, new byte[] {4});
    PluginDirectory.Staged changed = directory.stage(jar);
    Files.delete(jar);

    assertThat(first.path()).isNotEqualTo(second.path());
    assertThat(first.path().startsWith(plugins)).isFalse();
    assertThat(Files.readAllBytes(first.path())).containsExactly(1, 2, 3);
    assertThat(first.digest()).isEqualTo(second.digest()).isNotEqualTo(changed.digest());

    directory.close();
    assertThat(first.path()).doesNotExist();
    assertThat(first.path().getParent()).doesNotExist();
  }

  @Test
  void aStampChangesWithSizeOrTime() throws Exception {
    Path jar = Files.write(plugins.resolve("a.jar"), new byte[] {1});
    PluginDirectory.Stamp before = PluginDirectory.Stamp.of(jar);
    assertThat(PluginDirectory.Stamp.of(jar)).isEqualTo(before);
    Files.write(jar, new byte[] {1, 2});
    assertThat(PluginDirectory.Stamp.of(jar)).isNotEqualTo(before);
  }
}
