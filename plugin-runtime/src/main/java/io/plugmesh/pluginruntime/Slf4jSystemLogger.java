package io.plugmesh.pluginruntime;

import static java.util.Objects.requireNonNull;

import java.text.MessageFormat;
import java.util.MissingResourceException;
import java.util.ResourceBundle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A {@link System.Logger} that writes to an slf4j logger of the same name (plugins' loggers). */
final class Slf4jSystemLogger implements System.Logger {
  private final Logger delegate;

  Slf4jSystemLogger(String name) {
    this.delegate = LoggerFactory.getLogger(requireNonNull(name, "name"));
  }

  @Override
  public String getName() {
    return delegate.getName();
  }

  @Override
  public boolean isLoggable(Level level) {
    return switch (level) {
      case ALL, TRACE -> delegate.isTraceEnabled();
      case DEBUG -> delegate.isDebugEnabled();
      case INFO -> delegate.isInfoEnabled();
      case WARNING -> delegate.isWarnEnabled();
      case ERROR -> delegate.isErrorEnabled();
      case OFF -> false;
    };
  }

  @Override
  public void log(Level level, ResourceBundle bundle, String msg, Throwable thrown) {
    if (isLoggable(level)) {
      write(level, localize(bundle, msg), thrown);
    }
  }

  @Override
  public void log(Level level, ResourceBundle bundle, String format, Object... params) {
    if (isLoggable(level)) {
      String pattern = localize(bundle, format);
      String text =
          params == null || params.length == 0 || pattern == null
              ? pattern
              : MessageFormat.format(pattern, params);
      write(level, text, null);
    }
  }

  private static String localize(ResourceBundle bundle, String key) {
    if (bundle == null || key == null) {
      return key;
    }
    try {
      return bundle.getString(key);
    } catch (MissingResourceException e) {
      return key;
    }
  }

  private void write(Level level, String text, Throwable thrown) {
    switch (level) {
      case ALL, TRACE -> delegate.trace(text, thrown);
      case DEBUG -> delegate.debug(text, thrown);
      case INFO -> delegate.info(text, thrown);
      case WARNING -> delegate.warn(text, thrown);
      case ERROR -> delegate.error(text, thrown);
      case OFF -> {}
    }
  }
}
