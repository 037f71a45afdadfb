package io.plugmesh.kernel.admin;

import java.util.List;
import java.util.Map;

/**
 * What the admin endpoints show; the runtime implements it. Called on an admin worker thread, never
 * on an event loop, so implementations may take a moment but must not block indefinitely.
 */
public interface AdminState {

  /**
   * Whether the process is alive (its event loops run); false makes {@code /live} answer 503.
   *
   * @return true when alive
   */
  boolean live();

  /**
   * Whether the proxy serves traffic.
   *
   * @return the readiness
   */
  Readiness readiness();

  /**
   * The version of the config now served, 0 before the first one.
   *
   * @return the version
   */
  long configVersion();

  /**
   * The config now served as a plain tree of maps, lists, strings, numbers and booleans, with
   * secrets already redacted.
   *
   * @return the tree
   */
  Map<String, Object> configTree();

  /**
   * The loaded plugins, one plain map each (id, version, state, path, ...).
   *
   * @return the plugins
   */
  List<Map<String, Object>> plugins();

  /**
   * Scrapes the metrics registry, typically {@code prometheusMeterRegistry.scrape(contentType)}.
   *
   * @param contentType {@link AdminServer#PROMETHEUS_TEXT} or {@link AdminServer#OPENMETRICS_TEXT}
   * @return the exposition text in that format
   */
  String scrapeMetrics(String contentType);

  /**
   * Reloads the plugins directory ({@code POST /plugins/reload}): loads new and changed plugin jars
   * and moves the routes to them with a new config version.
   *
   * @return what changed, as a plain tree
   * @throws RuntimeException with a message for the caller when the reload was refused (nothing
   *     changed)
   * @throws UnsupportedOperationException when this runtime cannot reload plugins
   */
  default Map<String, Object> reloadPlugins() {
    throw new UnsupportedOperationException("plugin reload is not supported here");
  }
}
