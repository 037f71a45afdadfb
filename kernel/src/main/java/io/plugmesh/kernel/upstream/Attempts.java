package io.plugmesh.kernel.upstream;

import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpContent;
import io.plugmesh.filters.ProxyResponse;
import io.plugmesh.filters.advanced.ResponseFlag;
import io.plugmesh.filters.advanced.UpstreamException;
import io.plugmesh.kernel.body.RequestBody;
import io.plugmesh.kernel.cluster.ClusterHealth;
import io.plugmesh.kernel.cluster.Endpoint;
import io.plugmesh.kernel.state.ClusterState;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The upstream attempts of one exchange, one per {@code proceed} that reaches the chain's end: each
 * gets an endpoint of the route's cluster (one not tried yet while another is available), passes
 * the cluster's circuit breaker (retries are counted apart), and is announced to the request's
 * attempt listeners. A new attempt drops the one before; a second attempt needs a replayable body.
 * Confined to the exchange's event loop.
 */
public final class Attempts {

  /** The exchange, as its attempts see it. */
  public interface Owner {
    /**
     * The exchange's event loop; attempts acquire channels and run on it.
     *
     * @return the loop
     */
    EventLoop loop();

    /**
     * An attempt is about to start.
     *
     * @param endpoint its endpoint
     * @param number its number, counting from 1
     */
    void attemptStarting(Endpoint endpoint, int number);

    /** An attempt received its response head. */
    void upstreamHeadArrived();

    /**
     * The upstream failed after the response head went downstream: the downstream must be cut.
     *
     * @param flag why
     */
    void upstreamFailedMidResponse(ResponseFlag flag);

    /**
     * Writes one response body chunk downstream; on the write's end the exchange calls the
     * attempt's {@link Attempt#readMore} or {@link Attempt#abort}.
     *
     * @param attempt the attempt whose response streams
     * @param chunk the chunk
     * @param last whether it ends the body
     * @return true when the chunk was taken; false, taking nothing, when the exchange no longer
     *     answers with this response
     */
    boolean writeResponse(Attempt attempt, HttpContent chunk, boolean last);
  }

  private final Owner owner;
  private final RequestBody body;
  private final ClusterState cluster;
  private final UpstreamConnector connector;

  /** Endpoints earlier attempts used; allocated on the first retry. */
  private Set<Endpoint> tried = Set.of();

  private int count;
  private Attempt current;

  /**
   * Creates the attempts of one exchange.
   *
   * @param owner the exchange
   * @param body the request body each attempt sends
   * @param cluster the route's cluster
   * @param connector lends upstream channels
   */
  public Attempts(
      Owner owner, RequestBody body, ClusterState cluster, UpstreamConnector connector) {
    this.owner = owner;
    this.body = body;
    this.cluster = cluster;
    this.connector = connector;
  }

  /**
   * Starts the next attempt.
   *
   * @param request what it sends
   * @return its response, or a stage failed with {@link UpstreamException} (no endpoint, breaker
   *     open, connect failure, reset) or {@link IllegalStateException} (a streamed body sent again)
   */
  public CompletionStage<ProxyResponse> send(OutboundRequest request) {
    if (count > 0 && !body.replayable()) {
      return CompletableFuture.failedFuture(
          new IllegalStateException(
              "the request body was streamed and cannot be sent again (replayable() is false)"));
    }
    if (current != null) {
      current.discard();
    }
    Endpoint endpoint = cluster.choose(tried);
    if (endpoint == null) {
      return CompletableFuture.failedFuture(
          new UpstreamException(
              UpstreamException.Kind.NO_HEALTHY_UPSTREAM,
              "cluster '" + cluster.config().name() + "' has no healthy endpoint"));
    }
    boolean retry = count > 0;
    ClusterHealth health = cluster.health();
    if (health != null) {
      UpstreamException overflow = health.startRequest(retry);
      if (overflow != null) {
        return CompletableFuture.failedFuture(overflow);
      }
    }
    if (tried.isEmpty()) {
      tried = Set.of(endpoint);
    } else {
      if (!(tried instanceof HashSet)) {
        tried = new HashSet<>(tried);
      }
      tried.add(endpoint);
    }
    count++;
    owner.attemptStarting(endpoint, count);
    current =
        new Attempt(
            owner, body, endpoint, cluster.target(endpoint), request, connector, health, retry);
    current.observe(AttemptView.announce(request, count, current.endpointText()));
    return current.start();
  }

  /**
   * Whether a response is the latest attempt's and that attempt still stands.
   *
   * @param attempt the attempt a response came from
   * @return false for a stale response (a filter kept one from an earlier attempt)
   */
  public boolean isCurrent(Attempt attempt) {
    return attempt == current && !attempt.isDiscarded();
  }

  /** Drops the latest attempt's response (a timeout, a local answer). */
  public void discard() {
    if (current != null) {
      current.discard();
    }
  }

  /** Cuts the latest attempt now (the downstream went away). */
  public void abort() {
    if (current != null) {
      current.abort();
    }
  }
}
