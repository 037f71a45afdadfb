package io.plugmesh.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdminTokenSettingsTest {
  @Test
  void theAdminTokenIsReadFromAFileNextToTheSettings(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("admin-token"), "tok-0123456789\n");
    Path file = dir.resolve("proxy.yaml");
    Files.writeString(file, "admin: {address: 127.0.0.1:9901, tokenFile: admin-token}\n");

    ProxySettings settings = SettingsLoader.load(file);

    assertThat(settings.admin().token()).isEqualTo("tok-0123456789");
    assertThat(settings.admin().port()).isEqualTo(9901);
    assertThat(settings.toString()).doesNotContain("tok-0123456789");
  }

  @Test
  void noTokenByDefault() {
    assertThat(SettingsLoader.parseYaml("", "proxy.yaml").admin().token()).isNull();
  }

  @Test
  void aMissingOrEmptyTokenFileIsAProblem(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("empty"), "  \n");
    assertThatThrownBy(
            () -> SettingsLoader.parseYaml("admin: {tokenFile: missing}\n", "proxy.yaml", dir))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("tokenFile")
        .hasMessageContaining("expected: a readable file");
    assertThatThrownBy(
            () -> SettingsLoader.parseYaml("admin: {tokenFile: empty}\n", "proxy.yaml", dir))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("is empty");
  }
}
