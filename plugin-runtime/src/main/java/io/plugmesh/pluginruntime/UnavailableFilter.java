package io.plugmesh.pluginruntime;

import static java.util.Objects.requireNonNull;

import io.plugmesh.filters.HeadersFilter;
import io.plugmesh.filters.ProxyRequest;
import io.plugmesh.filters.ProxyResponse;
import io.plugmesh.filters.RequestDecision;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stands in for a filter whose plugin failed to load: answers 503 naming the plugin and why, so the
 * route fails closed while other routes keep serving.
 */
final class UnavailableFilter implements HeadersFilter {
  private static final Logger log = LoggerFactory.getLogger(UnavailableFilter.class);

  /** The status a route answers when one of its plugins is not available. */
  static final int STATUS = 503;

  private final String route;
  private final String plugin;
  private final String reason;
  private final String body;
  private final AtomicBoolean logged = new AtomicBoolean();

  UnavailableFilter(String route, String plugin, String reason) {
    this.route = requireNonNull(route, "route");
    this.plugin = requireNonNull(plugin, "plugin");
    this.reason = requireNonNull(reason, "reason");
    this.body = "plugin '" + plugin + "' is not available: " + reason + "\n";
  }

  String reason() {
    return reason;
  }

  @Override
  public RequestDecision onRequest(ProxyRequest request) {
    if (logged.compareAndSet(false, true)) {
      log.warn(
          "route '{}': plugin '{}' is not available ({}); answering {} (logged once)",
          route,
          plugin,
          reason,
          STATUS);
    }
    return RequestDecision.respond(ProxyResponse.of(STATUS, body));
  }
}
