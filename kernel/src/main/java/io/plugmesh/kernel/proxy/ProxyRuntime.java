package io.plugmesh.kernel.proxy;

import io.plugmesh.config.Limits;
import io.plugmesh.filters.internal.ChainRunner;
import io.plugmesh.kernel.observe.RequestLog;
import io.plugmesh.kernel.state.Snapshot;
import io.plugmesh.kernel.upstream.UpstreamConnector;
import io.plugmesh.pluginruntime.BuiltChain;
import io.plugmesh.pluginruntime.CauseLog;

/** What the data path needs from the running proxy. */
public interface ProxyRuntime {

  /**
   * The config in force now; an exchange keeps the one it started with.
   *
   * @return the current snapshot
   */
  Snapshot snapshot();

  /**
   * The protocol bounds.
   *
   * @return the limits
   */
  Limits limits();

  /**
   * Upstream connections.
   *
   * @return the connector
   */
  UpstreamConnector connector();

  /**
   * Records a finished request in metrics and the access log. Must not block.
   *
   * @param log the request's record
   */
  void record(RequestLog log);

  /**
   * Whether finished requests are written to an access log. When not, {@link #record} gets only
   * what metrics use (listener, route, cluster, protocol, status, flags, sizes, duration); the
   * start time is {@link java.time.Instant#EPOCH} and the header-derived and upstream fields are
   * null, so the data path does not collect them per request.
   *
   * @return true when records are logged
   */
  default boolean accessLogged() {
    return true;
  }

  /**
   * Counts an upstream attempt after the first of one request (a filter retried). Must not block.
   *
   * @param route the route name
   * @param cluster the cluster the attempt goes to
   */
  default void upstreamRetried(String route, String cluster) {}

  /**
   * The calling event loop's mark of which plugin's code it runs, watched for plugins that block
   * it. Call on the loop.
   *
   * @return the loop's watch
   */
  default ChainRunner.Watch watch() {
    return ChainRunner.Watch.NONE;
  }

  /**
   * The first plugin of a chain that is quarantined for blocking an event loop.
   *
   * @param chain the route's chain
   * @return the plugin name, or null when none is
   */
  default String quarantinedPlugin(BuiltChain chain) {
    return null;
  }

  /**
   * Warnings about failures clients can cause, rate-limited per cause and counted.
   *
   * @return the log
   */
  CauseLog causeLog();

  /**
   * The open downstream connections, which the drain ends on shutdown.
   *
   * @return the connections
   */
  Downstreams downstreams();

  /**
   * Counts a downstream connection opening.
   *
   * @param listener the listener name
   */
  void connectionOpened(String listener);

  /**
   * Counts a downstream connection closing.
   *
   * @param listener the listener name
   */
  void connectionClosed(String listener);
}
