package io.plugmesh.filters.testkit;

import static java.util.Objects.requireNonNull;

import java.lang.System.Logger.Level;

/**
 * One line a filter logged through {@link io.plugmesh.filters.FilterServices#logger()}, captured by
 * the testkit instead of printed.
 *
 * @param plugin the plugin whose logger it was
 * @param level the level
 * @param message the message, with {@code {0}}-style parameters already filled in
 * @param thrown the exception logged with it, or null
 */
public record LogEntry(String plugin, Level level, String message, Throwable thrown) {

  /**
   * Creates an entry.
   *
   * @param plugin the plugin name
   * @param level the level
   * @param message the formatted message
   * @param thrown the exception, or null
   */
  public LogEntry {
    requireNonNull(plugin, "plugin");
    requireNonNull(level, "level");
    requireNonNull(message, "message");
  }

  @Override
  public String toString() {
    return level + " [" + plugin + "] " + message + (thrown == null ? "" : " (" + thrown + ")");
  }
}
