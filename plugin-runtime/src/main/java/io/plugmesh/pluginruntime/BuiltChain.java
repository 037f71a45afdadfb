package io.plugmesh.pluginruntime;

import static java.util.Objects.requireNonNull;

import io.plugmesh.filters.internal.ChainRunner;
import java.util.List;

/**
 * One route's chain for one config version: the runner with its links, what the data path must
 * buffer for it, and the observer that counts and times each filter call.
 */
public final class BuiltChain {
  private final String route;
  private final long configVersion;
  private final ChainRunner runner;
  private final int replayBytes;
  private final int bufferedBodyBytes;
  private final List<String> plugins;
  private final ChainRunner.Observer observer;

  BuiltChain(
      String route,
      long configVersion,
      ChainRunner runner,
      int replayBytes,
      int bufferedBodyBytes,
      ChainRunner.Observer observer) {
    this.route = requireNonNull(route, "route");
    this.configVersion = configVersion;
    this.runner = requireNonNull(runner, "runner");
    this.replayBytes = replayBytes;
    this.bufferedBodyBytes = bufferedBodyBytes;
    this.plugins = runner.links().stream().map(ChainRunner.Link::name).toList();
    this.observer = requireNonNull(observer, "observer");
  }

  /**
   * The route name.
   *
   * @return the route
   */
  public String route() {
    return route;
  }

  /**
   * The config version this chain was built for.
   *
   * @return the version
   */
  public long configVersion() {
    return configVersion;
  }

  /**
   * The runner; its links are the route's plugins in order, without those turned off.
   *
   * @return the runner
   */
  public ChainRunner runner() {
    return runner;
  }

  /**
   * How many request-body bytes the data path must keep for replay: the largest {@code
   * FilterFactory.replay} of the chain's links, 0 when none replays.
   *
   * @return bytes, &gt;= 0
   */
  public int replayBytes() {
    return replayBytes;
  }

  /**
   * The largest body a link needs in memory ({@code BodyAccess.Buffered.maxBytes}), 0 when every
   * link streams.
   *
   * @return bytes, &gt;= 0
   */
  public int bufferedBodyBytes() {
    return bufferedBodyBytes;
  }

  /**
   * The plugin names of the links, in execution order.
   *
   * @return the names
   */
  public List<String> plugins() {
    return plugins;
  }

  /**
   * The observer to pass to {@link ChainRunner#run}: counts decisions, times calls, logs failures.
   *
   * @return the observer
   */
  public ChainRunner.Observer observer() {
    return observer;
  }

  @Override
  public String toString() {
    return "route '" + route + "' v" + configVersion + ": " + runner;
  }
}
