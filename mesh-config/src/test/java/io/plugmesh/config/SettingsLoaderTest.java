package io.plugmesh.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SettingsLoaderTest {
  @Test
  void emptyFileGivesTheDefaults() {
    assertThat(SettingsLoader.parseYaml("", "proxy.yaml")).isEqualTo(ProxySettings.DEFAULTS);
    assertThat(SettingsLoader.parseYaml("limits: {}\n", "proxy.yaml").limits())
        .isEqualTo(Limits.DEFAULTS);
  }

  @Test
  void readsEverySectionAndResolvesPathsAgainstTheFileFolder(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("proxy.yaml");
    Files.writeString(
        file,
        """
        admin: {address: "[::1]:0"}
        plugins: {dir: plugins}
        config: {file: routes.yaml}
        metrics: {prefix: edge}
        accessLog: {format: json, path: logs/access.log}
        limits: {maxHeaderBytes: 32768, idleTimeout: 90s, drainTimeout: 500ms}
        """);
    ProxySettings settings = SettingsLoader.load(file);
    Path base = dir.toAbsolutePath();
    assertThat(settings.admin()).isEqualTo(new ProxySettings.Admin("::1", 0));
    assertThat(settings.pluginsDir()).isEqualTo(base.resolve("plugins"));
    assertThat(settings.configFile()).isEqualTo(base.resolve("routes.yaml"));
    assertThat(settings.metricsPrefix()).isEqualTo("edge");
    assertThat(settings.accessLog())
        .isEqualTo(
            new ProxySettings.AccessLog(
                ProxySettings.AccessLog.Format.JSON, base.resolve("logs/access.log")));
    assertThat(settings.limits().maxHeaderBytes()).isEqualTo(32768);
    assertThat(settings.limits().idleTimeout()).isEqualTo(Duration.ofSeconds(90));
    assertThat(settings.limits().drainTimeout()).isEqualTo(Duration.ofMillis(500));
    assertThat(settings.limits().maxHeaderCount()).isEqualTo(Limits.DEFAULTS.maxHeaderCount());
  }

  @Test
  void absolutePathsAndStdoutStayAsWritten(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("proxy.yaml");
    Files.writeString(file, "plugins: {dir: /opt/plugins}\naccessLog: {path: stdout}\n");
    ProxySettings settings = SettingsLoader.load(file);
    assertThat(settings.pluginsDir()).isEqualTo(Path.of("/opt/plugins"));
    assertThat(settings.accessLog().file()).isNull();
    assertThat(settings.configFile()).isNull();
  }

  @Test
  void everyLimitCanBeSet() {
    StringBuilder yaml = new StringBuilder("limits:\n");
    for (RecordComponent c : Limits.class.getRecordComponents()) {
      yaml.append("  ")
          .append(c.getName())
          .append(": ")
          .append(c.getType() == int.class ? "7" : c.getType() == boolean.class ? "true" : "7s")
          .append('\n');
    }
    Limits limits = SettingsLoader.parseYaml(yaml.toString(), "proxy.yaml").limits();
    assertThat(limits.maxHeaderBytes()).isEqualTo(7);
    assertThat(limits.maxUriBytes()).isEqualTo(7);
    assertThat(limits.resetWindow()).isEqualTo(Duration.ofSeconds(7));
    assertThat(limits.defaultRouteTimeout()).isEqualTo(Duration.ofSeconds(7));
    assertThat(limits.blockedLoopThreshold()).isEqualTo(Duration.ofSeconds(7));
    assertThat(limits.quarantineBlockingPlugins()).isTrue();
  }

  @Test
  void blockingPluginLimitsDefaultAndAreChecked() {
    assertThat(Limits.DEFAULTS.blockedLoopThreshold()).isEqualTo(Duration.ofMillis(100));
    assertThat(Limits.DEFAULTS.quarantineBlockingPlugins()).isFalse();
    assertThatThrownBy(
            () ->
                SettingsLoader.parseYaml(
                    "limits: {quarantineBlockingPlugins: sometimes}\n", "proxy.yaml"))
        .hasMessageContaining(
            "limits.quarantineBlockingPlugins: \"sometimes\" (expected: true or false)");
  }

  @Test
  void problemsAreCollectedAndNamed() {
    assertThatThrownBy(
            () ->
                SettingsLoader.parseYaml(
                    """
                    admin: {address: localhost}
                    metrics: {prefix: "1bad"}
                    accessLog: {format: xml}
                    limits: {maxHeaderBytes: 0, idleTimeout: 0s, maxHeaderCnt: 5}
                    tracing: {}
                    """,
                    "proxy.yaml"))
        .isInstanceOf(ConfigError.class)
        .satisfies(e -> assertThat(((ConfigError) e).problems()).hasSize(7))
        .hasMessageContaining("admin.address: \"localhost\" (expected: host:port or [ipv6]:port)")
        .hasMessageContaining(
            "metrics.prefix: \"1bad\" (expected: letters, digits and '_', not starting with a"
                + " digit)")
        .hasMessageContaining("accessLog.format: \"xml\" (expected: one of text, json, off)")
        .hasMessageContaining("limits.maxHeaderBytes: 0 (expected: > 0)")
        .hasMessageContaining("limits.idleTimeout: \"0s\" (expected: > 0)")
        .hasMessageContaining(
            "limits.maxHeaderCnt: unknown field (expected one of: maxHeaderBytes,")
        .hasMessageContaining(
            "tracing: unknown field (expected one of: admin, plugins, config, metrics, accessLog,"
                + " limits)");
  }

  @Test
  void limitsDocumentationCoversEveryLimit() throws Exception {
    String doc = Files.readString(Path.of("..", "docs", "limits.md"));
    for (RecordComponent c : Limits.class.getRecordComponents()) {
      assertThat(doc)
          .as("docs/limits.md mentions " + c.getName())
          .contains("`" + c.getName() + "`");
    }
  }
}
