package io.plugmesh.pluginruntime.jar;

import static java.util.Objects.requireNonNull;

import java.util.List;

/** What loading one staged jar gave: a started plugin, or the reason it failed. */
public sealed interface JarLoad {

  /**
   * The jar's plugin started and every filter factory it declares was admitted.
   *
   * @param jar the started plugin
   */
  record Started(PluginJar jar) implements JarLoad {
    /**
     * Creates the outcome.
     *
     * @param jar the started plugin
     */
    public Started {
      requireNonNull(jar, "jar");
    }
  }

  /**
   * The jar was not loaded; nothing of it stays loaded.
   *
   * @param id the plugin id, or the jar's file name without {@code .jar} when the descriptor could
   *     not be read
   * @param version the plugin version, or empty
   * @param requires the plugin API range it requires, or empty
   * @param reason why it failed, naming what was expected
   * @param declared the filter names it declared before it failed, if any were read
   */
  record Failed(String id, String version, String requires, String reason, List<String> declared)
      implements JarLoad {
    /**
     * Creates the outcome.
     *
     * @param id the plugin id
     * @param version the version, or empty
     * @param requires the required range, or empty
     * @param reason the reason
     * @param declared the declared filter names
     */
    public Failed {
      requireNonNull(id, "id");
      requireNonNull(version, "version");
      requireNonNull(requires, "requires");
      requireNonNull(reason, "reason");
      declared = List.copyOf(declared);
    }
  }
}
