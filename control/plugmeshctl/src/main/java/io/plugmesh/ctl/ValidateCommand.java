package io.plugmesh.ctl;

import com.google.protobuf.util.JsonFormat;
import io.plugmesh.config.ConfigError;
import io.plugmesh.control.api.PluginDescriptors;
import io.plugmesh.control.api.v1.PluginsResponse;
import io.plugmesh.control.server.push.Selection;
import io.plugmesh.control.server.store.DesiredState;
import io.plugmesh.control.server.store.Documents;
import io.plugmesh.control.server.validate.PluginCatalog;
import io.plugmesh.control.server.validate.Validator;
import io.plugmesh.filters.FilterFactory;
import io.plugmesh.pluginruntime.PluginApi;
import io.plugmesh.pluginruntime.PluginHost;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Offline validation with the control service's rules. */
@Command(
    name = "validate",
    description = {
      "Check a config offline with the control service's rules: the config model, and each plugin's"
          + " JSON Schema and phase order from --plugins jars or a --catalog file"
          + " (plugmeshctl get plugins -o json).",
      "Exit 0 valid, 1 invalid, 2 error."
    })
final class ValidateCommand extends PlugmeshCtl.Sub {
  @Option(
      names = {"-f", "--file"},
      required = true,
      description = "FILE, DIR or - (stdin)")
  String file;

  @Option(names = "--plugins", description = "a directory of plugin jars")
  Path plugins;

  @Option(names = "--catalog", description = "a plugin catalog as JSON (get plugins -o json)")
  Path catalogFile;

  @Override
  public Integer call() throws Exception {
    PluginCatalog catalog = new PluginCatalog();
    if (plugins != null) {
      try (PluginHost host =
          PluginHost.load(plugins, PluginApi.VERSION, List.<FilterFactory<?>>of())) {
        catalog.addAll(PluginDescriptors.of(host));
      }
    }
    if (catalogFile != null) {
      PluginsResponse.Builder b = PluginsResponse.newBuilder();
      JsonFormat.parser()
          .ignoringUnknownFields()
          .merge(Files.readString(catalogFile, StandardCharsets.UTF_8), b);
      catalog.addAll(b.getPluginsList());
    }
    String text = Inputs.read(file, root.in);
    try (Validator validator = new Validator(catalog)) {
      DesiredState state = DesiredState.of(0, Documents.split(Documents.parse(text, file), file));
      DesiredState canonical = validator.canonical(state);
      List<ConfigError.Problem> problems =
          validator.check(Selection.catalogTarget(canonical), null, "the plugin catalog");
      if (!problems.isEmpty()) {
        root.err.println(new ConfigError(file, problems).getMessage());
        return PlugmeshCtl.REJECTED;
      }
      root.out.printf(
          "%s is valid: %d listeners, %d clusters, %d routes (%d plugins known)%n",
          file,
          canonical.of(io.plugmesh.control.server.store.Kind.LISTENER).size(),
          canonical.of(io.plugmesh.control.server.store.Kind.CLUSTER).size(),
          canonical.of(io.plugmesh.control.server.store.Kind.ROUTE).size(),
          catalog.all().size());
      return PlugmeshCtl.OK;
    } catch (ConfigError e) {
      root.err.println(e.getMessage());
      return PlugmeshCtl.REJECTED;
    }
  }
}
