package io.plugmesh.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Stopping the demo frees every port it took. */
class DemoLifecycleIT {
  @Test
  void closeFreesEveryPort() throws Exception {
    Path plugins = Path.of(System.getProperty(Demo.PLUGINS_PROPERTY, "target/plugins"));
    DemoPorts ports = DemoPorts.ephemeral();
    Demo demo = Demo.start(new Demo.Options(plugins, ports, null));
    assertThat(DemoIT.accepts(ports.outbound())).isTrue();
    assertThat(DemoIT.accepts(ports.inbound())).isTrue();
    demo.close();
    for (int port : ports.named().values()) {
      assertThat(DemoIT.accepts(port)).as("port %d after close", port).isFalse();
    }
  }
}
