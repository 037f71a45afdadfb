package io.plugmesh.control.server.validate;

import io.plugmesh.control.server.ScaleIT;
import io.plugmesh.control.server.push.Selection;
import io.plugmesh.control.server.store.DesiredState;
import io.plugmesh.control.server.store.Documents;
import io.plugmesh.control.server.testing.TestFilters;
import io.plugmesh.kernel.control.ControlClient;
import io.plugmesh.kernel.plugin.PluginHost;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class ValidatorTimingTest {
  @Test
  void timing() {
    PluginCatalog catalog = new PluginCatalog();
    try (PluginHost host = PluginHost.load(Path.of("target/none"), "0.1.0", TestFilters.all())) {
      catalog.addAll(ControlClient.descriptors(host));
    }
    try (Validator v = new Validator(catalog)) {
      for (int i = 0; i < 3; i++) {
        long t0 = System.nanoTime();
        var res = Documents.split(Documents.parse(ScaleIT.config("x" + i), "t"), "t");
        long t1 = System.nanoTime();
        DesiredState c = v.canonical(DesiredState.of(1, res));
        long t2 = System.nanoTime();
        var set = Selection.catalogTarget(c);
        long t3 = System.nanoTime();
        var problems = v.check(set, null, "x");
        long t4 = System.nanoTime();
        System.out.printf(
            "parse %d canonical %d select %d check %d ms problems %s%n",
            (t1 - t0) / 1_000_000,
            (t2 - t1) / 1_000_000,
            (t3 - t2) / 1_000_000,
            (t4 - t3) / 1_000_000,
            problems.size());
      }
    }
  }

  static List<String> none() {
    return List.of();
  }
}
