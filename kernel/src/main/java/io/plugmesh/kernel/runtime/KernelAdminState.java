package io.plugmesh.kernel.runtime;

import io.plugmesh.config.ConfigLoader;
import io.plugmesh.kernel.admin.AdminState;
import io.plugmesh.kernel.admin.Readiness;
import io.plugmesh.kernel.state.Snapshot;
import io.plugmesh.pluginruntime.PluginInfo;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The admin endpoints' view of a kernel: liveness, readiness, config, plugins and metrics. */
final class KernelAdminState implements AdminState {
  private final Kernel kernel;

  KernelAdminState(Kernel kernel) {
    this.kernel = kernel;
  }

  @Override
  public boolean live() {
    return !kernel.isClosed();
  }

  @Override
  public Readiness readiness() {
    Snapshot s = kernel.snapshot();
    if (kernel.isClosed() || kernel.isDraining()) {
      return new Readiness(false, false, "shutting down");
    }
    if (s == null) {
      return new Readiness(false, false, "no config applied yet");
    }
    String stale = kernel.staleReason();
    return new Readiness(
        true, stale != null, stale != null ? stale : "serving config version " + s.version());
  }

  @Override
  public long configVersion() {
    Snapshot s = kernel.snapshot();
    return s == null ? 0 : s.version();
  }

  @Override
  public Map<String, Object> configTree() {
    Snapshot s = kernel.snapshot();
    return s == null ? Map.of() : ConfigLoader.toTree(s.config());
  }

  @Override
  public List<Map<String, Object>> plugins() {
    List<Map<String, Object>> out = new ArrayList<>();
    for (var info : kernel.plugins().plugins()) {
      out.add(describe(info));
    }
    for (var info : kernel.plugins().retired()) {
      out.add(describe(info));
    }
    return out;
  }

  @Override
  public Map<String, Object> reloadPlugins() {
    Kernel.PluginReload reload = kernel.reloadPlugins();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("changed", reload.changed());
    m.put("loaded", reload.loaded().stream().map(KernelAdminState::describe).toList());
    m.put("retired", reload.removed().stream().map(KernelAdminState::describe).toList());
    m.put("failed", reload.failed().stream().map(KernelAdminState::describe).toList());
    m.put("configVersion", reload.configVersion());
    return m;
  }

  @Override
  public String scrapeMetrics(String contentType) {
    return kernel.registry().scrape(contentType);
  }

  private static Map<String, Object> describe(PluginInfo info) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", info.id());
    m.put("version", info.version());
    m.put("requires", info.requires());
    m.put("path", info.path());
    m.put("state", info.state().name());
    m.put("filters", info.filters());
    if (!info.error().isEmpty()) {
      m.put("error", info.error());
    }
    return m;
  }
}
