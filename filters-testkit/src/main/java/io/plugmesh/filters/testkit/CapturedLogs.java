package io.plugmesh.filters.testkit;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.text.MessageFormat;
import java.util.ArrayDeque;
import java.util.List;
import java.util.MissingResourceException;
import java.util.ResourceBundle;

/** A bounded in-memory log shared by the loggers of every plugin in one test setup. */
final class CapturedLogs {
  /** The most entries kept; older ones are dropped first and counted. */
  static final int MAX_ENTRIES = 10_000;

  private final ArrayDeque<LogEntry> entries = new ArrayDeque<>();
  private long dropped;

  synchronized void add(LogEntry entry) {
    if (entries.size() == MAX_ENTRIES) {
      entries.removeFirst();
      dropped++;
    }
    entries.addLast(entry);
  }

  synchronized List<LogEntry> entries() {
    return List.copyOf(entries);
  }

  synchronized long dropped() {
    return dropped;
  }

  Logger logger(String pluginName) {
    return new CapturingLogger(pluginName);
  }

  /** A {@link Logger} that records instead of printing; every level but OFF is loggable. */
  private final class CapturingLogger implements Logger {
    private final String plugin;

    CapturingLogger(String plugin) {
      this.plugin = plugin;
    }

    @Override
    public String getName() {
      return "plugmesh.plugin." + plugin;
    }

    @Override
    public boolean isLoggable(Level level) {
      return level != Level.OFF;
    }

    @Override
    public void log(Level level, ResourceBundle bundle, String msg, Throwable thrown) {
      if (isLoggable(level)) {
        add(new LogEntry(plugin, level, localize(bundle, msg), thrown));
      }
    }

    @Override
    public void log(Level level, ResourceBundle bundle, String format, Object... params) {
      if (!isLoggable(level)) {
        return;
      }
      String pattern = localize(bundle, format);
      String message =
          params == null || params.length == 0 ? pattern : MessageFormat.format(pattern, params);
      add(new LogEntry(plugin, level, message, null));
    }

    private String localize(ResourceBundle bundle, String msg) {
      if (msg == null) {
        return "null";
      }
      if (bundle != null) {
        try {
          return bundle.getString(msg);
        } catch (MissingResourceException ignored) {
          // Not a key of the bundle: log the text as given, as the JDK's loggers do.
        }
      }
      return msg;
    }

    @Override
    public String toString() {
      return getName();
    }
  }
}
