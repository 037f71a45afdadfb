package io.plugmesh.kernel.chain;

import io.netty.channel.EventLoop;
import io.plugmesh.filters.ProxyResponse;
import io.plugmesh.filters.advanced.ResponseFlag;
import io.plugmesh.filters.advanced.UpstreamException;
import io.plugmesh.filters.internal.ChainRunner;
import io.plugmesh.filters.internal.FilterFailure;
import io.plugmesh.pluginruntime.BuiltChain;
import io.plugmesh.pluginruntime.CauseLog;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One run of a route's chain on the kernel's request: remembers which plugin answered, hands the
 * outcome back on the request's event loop, and says what a failed run answers. The chain's end
 * (the terminal) sends attempts upstream.
 */
public final class ChainCall {
  private static final Logger log = LoggerFactory.getLogger(ChainCall.class);

  /**
   * The local answer to a failed run.
   *
   * @param response the answer
   * @param flag the response flag it carries (an upstream failure's), or null
   */
  public record Failure(ProxyResponse response, ResponseFlag flag) {}

  private final BuiltChain chain;
  private final String route;
  private final CauseLog causeLog;
  private CompletableFuture<ProxyResponse> result;
  private String answeringPlugin;

  /**
   * Prepares a run.
   *
   * @param chain the route's chain
   * @param route the route name, for messages
   * @param causeLog where a failure the chain did not attribute to a plugin is logged
   */
  public ChainCall(BuiltChain chain, String route, CauseLog causeLog) {
    this.chain = chain;
    this.route = route;
    this.causeLog = causeLog;
  }

  /**
   * Runs the chain.
   *
   * @param request the kernel's request
   * @param terminal sends attempts upstream
   * @param loop the request's event loop; filters' stages continue on it
   * @param done hears the response or the failure, on {@code loop}
   */
  public void start(
      KernelRequest request,
      ChainRunner.Terminal terminal,
      EventLoop loop,
      BiConsumer<ProxyResponse, Throwable> done) {
    start(request, terminal, loop, ChainRunner.Watch.NONE, done);
  }

  /**
   * Runs the chain, marking on {@code watch} which plugin's code the loop runs.
   *
   * @param request the kernel's request
   * @param terminal sends attempts upstream
   * @param loop the request's event loop; filters' stages continue on it
   * @param watch the loop's watch ({@link BlockedLoopWatchdog#watch()})
   * @param done hears the response or the failure, on {@code loop}
   */
  public void start(
      KernelRequest request,
      ChainRunner.Terminal terminal,
      EventLoop loop,
      ChainRunner.Watch watch,
      BiConsumer<ProxyResponse, Throwable> done) {
    Executor home =
        task -> {
          if (loop.inEventLoop()) {
            task.run();
          } else {
            loop.execute(task);
          }
        };
    ChainRunner.Observer chainObserver = chain.observer();
    ChainRunner.Observer observer =
        (index, link, decision, nanos, error) -> {
          if (decision == ChainRunner.Decision.RESPOND) {
            answeringPlugin = link.name();
          }
          chainObserver.onDecision(index, link, decision, nanos, error);
        };
    CompletionStage<ProxyResponse> stage;
    try {
      stage = chain.runner().run(request, terminal, home, observer, watch);
    } catch (RuntimeException e) {
      stage = CompletableFuture.failedFuture(e);
    }
    result = stage.toCompletableFuture();
    stage.whenComplete((response, error) -> home.execute(() -> done.accept(response, error)));
  }

  /** Cancels the run (a timeout, a closed downstream); the cancellation reaches the upstream. */
  public void cancel() {
    if (result != null) {
      result.cancel(false);
    }
  }

  /**
   * The plugin that answered the request itself, or that failed.
   *
   * @return the plugin name, or null
   */
  public String answeringPlugin() {
    return answeringPlugin;
  }

  /**
   * What a failed run answers: an upstream failure's status, or 500 naming the plugin that failed
   * (logged).
   *
   * @param error the failure
   * @return the answer, or null when the run was cancelled (the timeout or a closed downstream
   *     answered already)
   */
  public Failure failure(Throwable error) {
    Throwable cause =
        error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    if (cause instanceof CancellationException) {
      return null;
    }
    if (cause instanceof UpstreamException up) {
      return new Failure(
          ProxyResponse.of(up.kind().status(), up.getMessage() + "\n"), up.kind().flag());
    }
    String plugin = cause instanceof FilterFailure f ? f.plugin() : null;
    answeringPlugin = plugin;
    if (plugin == null) {
      causeLog.warn(log, "chain-failure", cause, "route '{}': chain failed: {}", route, cause);
    } else {
      // The chain's observer logged the plugin's failure already, rate-limited.
      log.debug("route '{}': plugin '{}' failed: {}", route, plugin, cause.toString());
    }
    return new Failure(
        ProxyResponse.of(
            500,
            plugin == null
                ? "internal error in the proxy\n"
                : "plugin '" + plugin + "' failed on route '" + route + "'\n"),
        null);
  }
}
