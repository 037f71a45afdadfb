package io.plugmesh.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TlsConfigLoaderTest {
  static final String YAML =
      """
      listeners:
        - name: inbound
          address: 127.0.0.1:0
          tls: {certificateFile: c.pem, privateKeyFile: k.pem, clientCaFile: ca.pem, mode: permissive}
        - {name: plain, address: 127.0.0.1:0, tls: {certificateFile: c.pem, privateKeyFile: k.pem}}
      clusters:
        - name: reviews
          protocol: http2
          endpoints: [{address: 127.0.0.1:9}]
          tls:
            certificateFile: a.pem
            privateKeyFile: a-key.pem
            caFile: ca.pem
            serverIdentity: spiffe://mesh.local/ns/shop/sa/reviews
      routes:
        - {name: r, cluster: reviews}
      """;

  @Test
  void readsAndWritesTlsFields() {
    MeshConfig config = ConfigLoader.parseYaml(YAML, "test");

    assertThat(config.listeners().get(0).tls())
        .isEqualTo(new TlsConfig("c.pem", "k.pem", "ca.pem", TlsMode.PERMISSIVE));
    assertThat(config.listeners().get(1).tls()).isEqualTo(new TlsConfig("c.pem", "k.pem"));
    assertThat(config.listeners().get(1).tls().mode()).isEqualTo(TlsMode.STRICT);
    assertThat(config.clusters().get(0).tls())
        .isEqualTo(
            new UpstreamTlsConfig(
                "a.pem", "a-key.pem", "ca.pem", "spiffe://mesh.local/ns/shop/sa/reviews"));
    assertThat(ConfigLoader.fromTree(ConfigLoader.toTree(config), "tree")).isEqualTo(config);
  }

  @Test
  void namesWrongTlsFields() {
    String bad =
        YAML.replace("mode: permissive", "mode: required")
            .replace("privateKeyFile: a-key.pem", "")
            .replace("spiffe://mesh.local/ns/shop/sa/reviews", "reviews.shop");
    assertThatThrownBy(() -> ConfigLoader.parseYaml(bad, "test"))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("\"required\" (expected: one of strict, permissive, off)");
    String bad2 = YAML.replace("privateKeyFile: a-key.pem", "").replace("spiffe://", "https://");
    assertThatThrownBy(() -> ConfigLoader.parseYaml(bad2, "test"))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("clusters[0] 'reviews': tls.privateKeyFile: missing")
        .hasMessageContaining("certificateFile and privateKeyFile together")
        .hasMessageContaining("clusters[0] 'reviews': tls.serverIdentity")
        .hasMessageContaining("expected: spiffe://<trust-domain>/ns/<namespace>/sa/");
  }
}
