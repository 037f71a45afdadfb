package io.plugmesh.filters.internal;

import static java.util.Objects.requireNonNull;

import io.plugmesh.filters.Filter;
import io.plugmesh.filters.FilterChain;
import io.plugmesh.filters.HeadersFilter;
import io.plugmesh.filters.ProxyRequest;
import io.plugmesh.filters.ProxyResponse;
import io.plugmesh.filters.RequestDecision;
import io.plugmesh.filters.advanced.FilterMode;
import io.plugmesh.filters.advanced.UpstreamException;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs an ordered list of filters and enforces the chain's rules: {@code proceed} at most once
 * unless a link allows replay, no null results, synchronous throws become failed stages, shadow
 * mode turns a filter's own answer into a count and a pass, and every completion continues on the
 * request's home executor. Shared by the kernel and the testkit so both behave the same. Not part
 * of the API.
 *
 * <p>A {@link HeadersFilter} that keeps the default {@link HeadersFilter#filter} runs on a fast
 * path: the runner calls {@link HeadersFilter#onRequest} itself and, when the filter continues and
 * has no response hook, hands the rest of the chain's stage straight back, allocating no stage and
 * no {@link FilterChain} for it. Such a filter's decision is reported as soon as it is made (for
 * {@link Decision#CONTINUE}, before the rest of the chain completes), and its self time is the time
 * spent in its hooks.
 */
public final class ChainRunner {

  /** What a filter did with one request. */
  public enum Decision {
    /** It passed the request on. */
    CONTINUE,
    /** It answered itself. */
    RESPOND,
    /** It failed (threw, returned null, broke a rule). */
    ERROR,
    /** In shadow mode it would have answered itself; the request went on. */
    SHADOW
  }

  /**
   * One filter in a chain.
   *
   * @param name the plugin name, for errors and metrics
   * @param filter the filter
   * @param mode {@link FilterMode#ENFORCE} or {@link FilterMode#SHADOW}: a shadow link's own answer
   *     is counted and dropped, and the request goes on; {@code off} entries are left out of the
   *     chain when it is built
   * @param replay whether the filter may call proceed more than once
   */
  public record Link(String name, Filter filter, FilterMode mode, boolean replay) {
    /**
     * Creates a link.
     *
     * @param name the plugin name
     * @param filter the filter
     * @param mode enforce or shadow
     * @param replay whether proceed may be called more than once
     * @throws IllegalArgumentException for {@link FilterMode#OFF}
     */
    public Link {
      requireNonNull(name, "name");
      requireNonNull(filter, "filter");
      requireNonNull(mode, "mode");
      if (mode == FilterMode.OFF) {
        throw new IllegalArgumentException(
            "link '" + name + "': mode OFF (expected: ENFORCE or SHADOW; leave off entries out)");
      }
    }
  }

  /** The end of the chain: sends the request upstream. */
  @FunctionalInterface
  public interface Terminal {
    /**
     * Sends one attempt.
     *
     * @param request the request
     * @return the upstream response, or a stage failed with {@link UpstreamException}
     */
    CompletionStage<ProxyResponse> send(ProxyRequest request);
  }

  /** Hears every filter's decision, e.g. to count it. */
  @FunctionalInterface
  public interface Observer {
    /** An observer that ignores everything. */
    Observer NONE = (index, link, decision, selfNanos, error) -> {};

    /**
     * Called once per filter invocation when its stage completes.
     *
     * @param index the link's position
     * @param link the link
     * @param decision what the filter did
     * @param selfNanos time spent in the filter, excluding the rest of the chain
     * @param error the failure for {@link Decision#ERROR}, else null
     */
    void onDecision(int index, Link link, Decision decision, long selfNanos, Throwable error);
  }

  /**
   * Marks the time a thread spends inside one link's code, e.g. for a watchdog that tells which
   * plugin blocks an event loop. Calls nest (a filter's {@code proceed} runs the next link inside
   * it); {@link #exit} gets back what {@link #enter} returned. Must be cheap and must not block.
   */
  public interface Watch {
    /** A watch that marks nothing. */
    Watch NONE =
        new Watch() {
          @Override
          public Object enter(Link link) {
            return null;
          }

          @Override
          public void exit(Object previous) {}
        };

    /**
     * The thread starts running {@code link}'s code.
     *
     * @param link the link
     * @return what to hand to {@link #exit}
     */
    Object enter(Link link);

    /**
     * The thread left the link entered last.
     *
     * @param previous what the matching {@link #enter} returned
     */
    void exit(Object previous);
  }

  private final List<Link> links;

  /** Per link, the filter when it runs on the headers fast path, else null. */
  private final HeadersFilter[] headersFilters;

  /**
   * Creates a runner.
   *
   * @param links the filters in execution order
   */
  public ChainRunner(List<Link> links) {
    this.links = List.copyOf(links);
    this.headersFilters = new HeadersFilter[this.links.size()];
    for (int i = 0; i < headersFilters.length; i++) {
      Filter filter = this.links.get(i).filter();
      if (filter instanceof HeadersFilter headers && usesDefaultFilterMethod(headers)) {
        headersFilters[i] = headers;
      }
    }
  }

  /**
   * Whether the filter keeps {@link HeadersFilter#filter} as is, so the runner may run its hooks.
   */
  private static boolean usesDefaultFilterMethod(HeadersFilter filter) {
    try {
      return filter
              .getClass()
              .getMethod("filter", ProxyRequest.class, FilterChain.class)
              .getDeclaringClass()
          == HeadersFilter.class;
    } catch (NoSuchMethodException | SecurityException e) {
      return false;
    }
  }

  /**
   * The links in execution order.
   *
   * @return the links
   */
  public List<Link> links() {
    return links;
  }

  /**
   * Runs the chain for one request.
   *
   * @param request the request
   * @param terminal sends attempts upstream
   * @param home where completions continue; should run tasks inline when already on its thread
   * @param observer hears decisions
   * @return the response stage; fails with {@link FilterFailure} or {@link UpstreamException}
   */
  public CompletionStage<ProxyResponse> run(
      ProxyRequest request, Terminal terminal, Executor home, Observer observer) {
    return run(request, terminal, home, observer, Watch.NONE);
  }

  /**
   * Runs the chain for one request, marking the time spent in each link's code.
   *
   * @param request the request
   * @param terminal sends attempts upstream
   * @param home where completions continue; should run tasks inline when already on its thread
   * @param observer hears decisions
   * @param watch hears when the thread enters and leaves a link's code
   * @return the response stage; fails with {@link FilterFailure} or {@link UpstreamException}
   */
  public CompletionStage<ProxyResponse> run(
      ProxyRequest request, Terminal terminal, Executor home, Observer observer, Watch watch) {
    if (links.isEmpty()) {
      return sendTerminal(terminal, request);
    }
    return new Run(terminal, home, observer, requireNonNull(watch, "watch")).invoke(0, request);
  }

  private static CompletionStage<ProxyResponse> sendTerminal(
      Terminal terminal, ProxyRequest request) {
    try {
      CompletionStage<ProxyResponse> stage = terminal.send(request);
      return stage != null
          ? stage
          : CompletableFuture.failedFuture(new IllegalStateException("terminal returned null"));
    } catch (Throwable t) {
      return CompletableFuture.failedFuture(t);
    }
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder();
    for (Link link : links) {
      sb.append(link.name());
      if (link.mode() == FilterMode.SHADOW) {
        sb.append("(shadow)");
      }
      sb.append(" -> ");
    }
    return sb.append("upstream").toString();
  }

  private static Throwable unwrap(Throwable t) {
    while ((t instanceof CompletionException) && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  private final class Run {
    private final Terminal terminal;
    private final Executor home;
    private final Observer observer;
    private final Watch watch;

    Run(Terminal terminal, Executor home, Observer observer, Watch watch) {
      this.terminal = terminal;
      this.home = home;
      this.observer = observer;
      this.watch = watch;
    }

    CompletionStage<ProxyResponse> invoke(int index, ProxyRequest request) {
      if (index == links.size()) {
        return sendTerminal(terminal, request);
      }
      Link link = links.get(index);
      HeadersFilter headers = headersFilters[index];
      if (headers != null) {
        return invokeHeaders(index, link, headers, request);
      }
      Step step = new Step(index, link);
      long start = System.nanoTime();
      CompletionStage<ProxyResponse> stage;
      Object outer = watch.enter(link);
      try {
        stage = link.filter().filter(request, step);
      } catch (Throwable t) {
        stage = CompletableFuture.failedFuture(new FilterFailure(link.name(), "threw " + t, t));
      } finally {
        watch.exit(outer);
      }
      if (stage == null) {
        stage =
            CompletableFuture.failedFuture(
                new FilterFailure(
                    link.name(), "returned null (expected: a CompletionStage)", null));
      }
      CompletableFuture<ProxyResponse> result = new CompletableFuture<>();
      CompletionStage<ProxyResponse> filterStage = stage;
      stage.whenComplete(
          (response, error) ->
              home.execute(() -> complete(step, request, start, response, error, result)));
      result.whenComplete((r, e) -> cancelIfCancelled(result, filterStage));
      return result;
    }

    /** Cancelling a stage handed out propagates down the chain to the terminal (the upstream). */
    private void cancelIfCancelled(
        CompletableFuture<ProxyResponse> handedOut, CompletionStage<ProxyResponse> downstream) {
      if (handedOut.isCancelled()) {
        try {
          downstream.toCompletableFuture().cancel(false);
        } catch (UnsupportedOperationException ignored) {
          // A stage that cannot be cancelled finishes on its own; its response is discarded.
        }
      }
    }

    /** Completes {@code result}, discarding the response if nobody will take it any more. */
    private void deliver(CompletableFuture<ProxyResponse> result, ProxyResponse response) {
      if (!result.complete(response)) {
        response.discard();
      }
    }

    /** The headers fast path: the same rules as {@link HeadersFilter#filter}, fewer objects. */
    private CompletionStage<ProxyResponse> invokeHeaders(
        int index, Link link, HeadersFilter filter, ProxyRequest request) {
      long start = System.nanoTime();
      RequestDecision decision;
      Object outer = watch.enter(link);
      try {
        decision = filter.onRequest(request);
      } catch (Throwable t) {
        return failHeaders(index, link, start, "threw " + t, t);
      } finally {
        watch.exit(outer);
      }
      if (decision == null) {
        return failHeaders(
            index, link, start, "onRequest returned null (expected: a RequestDecision)", null);
      }
      if (decision instanceof RequestDecision.Respond respond) {
        if (link.mode() == FilterMode.ENFORCE) {
          observer.onDecision(index, link, Decision.RESPOND, System.nanoTime() - start, null);
          return CompletableFuture.completedFuture(respond.response());
        }
        // Shadow: the answer is counted and dropped; the response hook does not run, as when the
        // filter's own stage answers.
        observer.onDecision(index, link, Decision.SHADOW, System.nanoTime() - start, null);
        respond.response().discard();
        return invoke(index + 1, request);
      }
      if (!filter.hasResponseHook()) {
        observer.onDecision(index, link, Decision.CONTINUE, System.nanoTime() - start, null);
        return invoke(index + 1, request);
      }
      long requestNanos = System.nanoTime() - start;
      CompletionStage<ProxyResponse> next = invoke(index + 1, request);
      CompletableFuture<ProxyResponse> result = new CompletableFuture<>();
      next.whenComplete(
          (response, error) ->
              home.execute(
                  () ->
                      onHeadersResponse(
                          index, link, filter, request, requestNanos, response, error, result)));
      result.whenComplete((r, e) -> cancelIfCancelled(result, next));
      return result;
    }

    /** Runs a headers filter's response hook, on the home executor. */
    private void onHeadersResponse(
        int index,
        Link link,
        HeadersFilter filter,
        ProxyRequest request,
        long requestNanos,
        ProxyResponse response,
        Throwable error,
        CompletableFuture<ProxyResponse> result) {
      if (error != null) {
        observer.onDecision(index, link, Decision.CONTINUE, requestNanos, null);
        result.completeExceptionally(unwrap(error));
        return;
      }
      if (response == null) {
        FilterFailure failure =
            new FilterFailure(link.name(), "completed with null (expected: a response)", null);
        observer.onDecision(index, link, Decision.ERROR, requestNanos, failure);
        result.completeExceptionally(failure);
        return;
      }
      long start = System.nanoTime();
      Object outer = watch.enter(link);
      try {
        filter.onResponse(request, response);
      } catch (Throwable t) {
        response.discard();
        FilterFailure failure = new FilterFailure(link.name(), "failed: " + t, t);
        observer.onDecision(
            index, link, Decision.ERROR, requestNanos + System.nanoTime() - start, failure);
        result.completeExceptionally(failure);
        return;
      } finally {
        watch.exit(outer);
      }
      observer.onDecision(
          index, link, Decision.CONTINUE, requestNanos + System.nanoTime() - start, null);
      deliver(result, response);
    }

    private CompletionStage<ProxyResponse> failHeaders(
        int index, Link link, long start, String message, Throwable cause) {
      FilterFailure failure = new FilterFailure(link.name(), message, cause);
      observer.onDecision(index, link, Decision.ERROR, System.nanoTime() - start, failure);
      return CompletableFuture.failedFuture(failure);
    }

    private void complete(
        Step step,
        ProxyRequest request,
        long start,
        ProxyResponse response,
        Throwable error,
        CompletableFuture<ProxyResponse> result) {
      Link link = step.link;
      long self = Math.max(0, System.nanoTime() - start - step.downstreamNanos);
      if (error != null) {
        Throwable cause = unwrap(error);
        if (cause instanceof FilterFailure
            || cause instanceof UpstreamException
            || cause instanceof CancellationException) {
          // Passed through from further down the chain (or cancelled): not this filter's fault.
          boolean own = cause instanceof FilterFailure f && f.plugin().equals(link.name());
          observer.onDecision(
              step.index, link, own ? Decision.ERROR : Decision.CONTINUE, self, own ? cause : null);
          result.completeExceptionally(cause);
          return;
        }
        FilterFailure failure = new FilterFailure(link.name(), "failed: " + cause, cause);
        observer.onDecision(step.index, link, Decision.ERROR, self, failure);
        result.completeExceptionally(failure);
        return;
      }
      if (response == null) {
        FilterFailure failure =
            new FilterFailure(link.name(), "completed with null (expected: a response)", null);
        observer.onDecision(step.index, link, Decision.ERROR, self, failure);
        result.completeExceptionally(failure);
        return;
      }
      if (step.proceeds.get() > 0) {
        observer.onDecision(step.index, link, Decision.CONTINUE, self, null);
        deliver(result, response);
        return;
      }
      if (link.mode() == FilterMode.SHADOW) {
        observer.onDecision(step.index, link, Decision.SHADOW, self, null);
        response.discard();
        invoke(step.index + 1, request)
            .whenComplete(
                (r, e) -> {
                  if (e != null) {
                    result.completeExceptionally(unwrap(e));
                  } else {
                    deliver(result, r);
                  }
                });
        return;
      }
      observer.onDecision(step.index, link, Decision.RESPOND, self, null);
      deliver(result, response);
    }

    private final class Step implements FilterChain {
      final int index;
      final Link link;
      final AtomicInteger proceeds = new AtomicInteger();
      volatile long downstreamNanos;

      Step(int index, Link link) {
        this.index = index;
        this.link = link;
      }

      @Override
      public CompletionStage<ProxyResponse> proceed(ProxyRequest request) {
        if (request == null) {
          return CompletableFuture.failedFuture(
              new FilterFailure(link.name(), "called proceed(null) (expected: a request)", null));
        }
        int n = proceeds.incrementAndGet();
        if (n > 1 && !link.replay()) {
          return CompletableFuture.failedFuture(
              new FilterFailure(
                  link.name(),
                  "called proceed() "
                      + n
                      + " times (expected: at most once; a factory that retries declares replay)",
                  null));
        }
        CompletableFuture<ProxyResponse> out = new CompletableFuture<>();
        // A filter may proceed from another thread (a timer, a client library's callback): the
        // rest of the chain and the upstream still run on the request's home executor.
        try {
          home.execute(() -> proceedAtHome(request, out));
        } catch (RuntimeException e) {
          out.completeExceptionally(
              new UpstreamException(UpstreamException.Kind.RESET, "request already finished"));
        }
        return out;
      }

      private void proceedAtHome(ProxyRequest request, CompletableFuture<ProxyResponse> out) {
        if (out.isDone()) {
          return; // cancelled before the hop
        }
        long start = System.nanoTime();
        CompletionStage<ProxyResponse> next = invoke(index + 1, request);
        next.whenComplete(
            (r, e) -> {
              downstreamNanos = downstreamNanos + (System.nanoTime() - start);
              // Completing `out` runs this link's own continuations (its response handling).
              Object outer = watch.enter(link);
              try {
                if (e != null) {
                  out.completeExceptionally(unwrap(e));
                } else {
                  deliver(out, r);
                }
              } finally {
                watch.exit(outer);
              }
            });
        out.whenComplete((r, e) -> cancelIfCancelled(out, next));
      }
    }
  }
}
