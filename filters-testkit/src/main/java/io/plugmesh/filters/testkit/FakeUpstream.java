package io.plugmesh.filters.testkit;

import static java.util.Objects.requireNonNull;

import io.plugmesh.filters.ProxyRequest;
import io.plugmesh.filters.ProxyResponse;
import io.plugmesh.filters.advanced.UpstreamException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The end of the chain in tests: answers each attempt as scripted and records every request that
 * reached it, so tests can assert what the upstream saw and how many attempts there were.
 *
 * <pre>{@code
 * FakeUpstream.respond(200, "ok");                              // every attempt
 * FakeUpstream.script(fail(RESET), respond(200, "ok"));         // one outcome per attempt, in order
 * FakeUpstream.answering(req -> respond(req.path().startsWith("/a") ? 200 : 404));
 * FakeUpstream.script(respond(503)).otherwise(respond(200));    // script first, then a default
 * }</pre>
 *
 * <p>Scripted outcomes are used first, in order; then the {@link #otherwise} default. An attempt
 * with neither fails loudly with an {@link IllegalStateException}. Thread-safe; meant for one
 * harness at a time.
 */
public final class FakeUpstream {

  /**
   * The most attempts one fake upstream records; more fails the attempt, which usually means a
   * filter retries without bound.
   */
  public static final int MAX_ATTEMPTS = 10_000;

  /**
   * The endpoint attempts report to {@link io.plugmesh.filters.advanced.UpstreamAttemptListener}s.
   */
  public static final String DEFAULT_ENDPOINT = "upstream.test:80";

  private final Deque<UpstreamOutcome> script = new ArrayDeque<>();
  private final List<UpstreamRequest> requests = new ArrayList<>();
  private Function<UpstreamRequest, UpstreamOutcome> fallback;
  private int scriptedTotal;
  private volatile String endpoint = DEFAULT_ENDPOINT;

  private FakeUpstream() {}

  /**
   * An upstream that answers every attempt with this status and UTF-8 body.
   *
   * @param status the status
   * @param body the body
   * @return a new fake upstream
   */
  public static FakeUpstream respond(int status, String body) {
    return always(UpstreamOutcome.respond(status, body));
  }

  /**
   * An upstream that answers every attempt with this status and an empty body.
   *
   * @param status the status
   * @return a new fake upstream
   */
  public static FakeUpstream respond(int status) {
    return always(UpstreamOutcome.respond(status));
  }

  /**
   * An upstream with the same outcome for every attempt.
   *
   * @param outcome the outcome
   * @return a new fake upstream
   */
  public static FakeUpstream always(UpstreamOutcome outcome) {
    return new FakeUpstream().otherwise(outcome);
  }

  /**
   * An upstream that answers attempt {@code i} with {@code outcomes[i]}; attempts beyond the script
   * fail unless {@link #otherwise} gives a default.
   *
   * @param outcomes the outcomes in attempt order
   * @return a new fake upstream
   */
  public static FakeUpstream script(UpstreamOutcome... outcomes) {
    FakeUpstream upstream = new FakeUpstream();
    for (UpstreamOutcome outcome : requireNonNull(outcomes, "outcomes")) {
      upstream.then(outcome);
    }
    return upstream;
  }

  /**
   * An upstream whose outcome is a function of the request that reached it.
   *
   * @param answer decides each attempt's outcome; must not return null
   * @return a new fake upstream
   */
  public static FakeUpstream answering(Function<UpstreamRequest, UpstreamOutcome> answer) {
    return new FakeUpstream().otherwise(answer);
  }

  /**
   * Appends an outcome to the script.
   *
   * @param outcome the outcome for the next unscripted attempt
   * @return this upstream
   */
  public synchronized FakeUpstream then(UpstreamOutcome outcome) {
    script.addLast(requireNonNull(outcome, "outcome"));
    scriptedTotal++;
    return this;
  }

  /**
   * Sets the outcome for attempts once the script is used up.
   *
   * @param outcome the default outcome
   * @return this upstream
   */
  public FakeUpstream otherwise(UpstreamOutcome outcome) {
    requireNonNull(outcome, "outcome");
    return otherwise(request -> outcome);
  }

  /**
   * Sets a function deciding attempts once the script is used up.
   *
   * @param answer decides each attempt's outcome; must not return null
   * @return this upstream
   */
  public synchronized FakeUpstream otherwise(Function<UpstreamRequest, UpstreamOutcome> answer) {
    this.fallback = requireNonNull(answer, "answer");
    return this;
  }

  /**
   * Sets the {@code host:port} that {@linkplain
   * io.plugmesh.filters.advanced.UpstreamAttempt#endpoint() attempts} report; {@value
   * #DEFAULT_ENDPOINT} by default.
   *
   * @param hostPort the endpoint
   * @return this upstream
   */
  public FakeUpstream endpoint(String hostPort) {
    this.endpoint = requireNonNull(hostPort, "hostPort");
    return this;
  }

  /**
   * The {@code host:port} attempts report.
   *
   * @return the endpoint
   */
  public String endpoint() {
    return endpoint;
  }

  /**
   * Every attempt that reached this upstream, in arrival order.
   *
   * @return a copy of the list
   */
  public synchronized List<UpstreamRequest> requests() {
    return List.copyOf(requests);
  }

  /**
   * How many attempts reached this upstream.
   *
   * @return the attempt count
   */
  public synchronized int attempts() {
    return requests.size();
  }

  /**
   * The latest attempt.
   *
   * @return the last request that reached this upstream
   * @throws AssertionError if none did
   */
  public synchronized UpstreamRequest lastRequest() {
    if (requests.isEmpty()) {
      throw new AssertionError("no request reached the upstream");
    }
    return requests.get(requests.size() - 1);
  }

  /**
   * How many attempts the chain cancelled before they had an outcome.
   *
   * @return the number of cancelled attempts
   */
  public synchronized long cancelledAttempts() {
    return requests.stream().filter(UpstreamRequest::cancelled).count();
  }

  /**
   * How many scripted outcomes are still unused.
   *
   * @return the remaining script length
   */
  public synchronized int remainingScript() {
    return script.size();
  }

  /** Forgets recorded attempts (the script and default stay). */
  public synchronized void clearRecords() {
    requests.clear();
  }

  @Override
  public synchronized String toString() {
    return "FakeUpstream{attempts="
        + requests.size()
        + ", script="
        + script
        + (fallback != null ? ", with default" : "")
        + "}";
  }

  /**
   * Handles one attempt. The request's attempt listeners hear it first (what they set on the
   * headers is what gets recorded), {@code onAttempt} hears the recorded request, {@code
   * onResponse} hears a response before the returned stage completes with it. The attempt's end
   * listeners hear a failure or cancellation before the chain does, and a response right after the
   * chain took it (as in the proxy, where an attempt ends once its body has streamed).
   */
  CompletableFuture<ProxyResponse> handle(
      ProxyRequest request,
      byte[] body,
      VirtualTime time,
      Consumer<UpstreamRequest> onAttempt,
      Consumer<UpstreamResponse> onResponse) {
    TestRequestContext.Attempt view = null;
    if (request.context() instanceof TestRequestContext context) {
      try {
        view = context.announceAttempt(endpoint, request.headers());
      } catch (RuntimeException e) {
        return CompletableFuture.failedFuture(
            new IllegalStateException("an upstream attempt listener threw: " + e, e));
      }
    }
    UpstreamRequest attempt;
    UpstreamOutcome outcome;
    Function<UpstreamRequest, UpstreamOutcome> answer;
    synchronized (this) {
      if (requests.size() >= MAX_ATTEMPTS) {
        return failed(
            view,
            new IllegalStateException(
                "FakeUpstream: more than "
                    + MAX_ATTEMPTS
                    + " attempts (expected fewer; does a filter retry without bound?)"));
      }
      attempt = new UpstreamRequest(requests.size() + 1, request, body);
      requests.add(attempt);
      outcome = script.pollFirst();
      answer = fallback;
    }
    onAttempt.accept(attempt);
    if (outcome == null && answer != null) {
      try {
        outcome = answer.apply(attempt);
      } catch (RuntimeException e) {
        attempt.ended(UpstreamRequest.State.FAILED);
        return failed(
            view, new IllegalStateException("FakeUpstream: the answering function threw: " + e, e));
      }
      if (outcome == null) {
        attempt.ended(UpstreamRequest.State.FAILED);
        return failed(
            view,
            new IllegalStateException(
                "FakeUpstream: the answering function returned null (expected: an outcome)"));
      }
    }
    if (outcome == null) {
      attempt.ended(UpstreamRequest.State.FAILED);
      return failed(
          view,
          new IllegalStateException(
              "FakeUpstream: no outcome for attempt "
                  + attempt.attempt()
                  + " (scripted: "
                  + scriptedTotal
                  + "; add more with then(...) or a default with otherwise(...))"));
    }
    CompletableFuture<ProxyResponse> result = new CompletableFuture<>();
    UpstreamOutcome chosen = outcome;
    TestRequestContext.Attempt attemptView = view;
    Runnable complete = () -> finish(chosen, attempt, onResponse, result, attemptView);
    ScheduledFuture<?> timer = null;
    if (!chosen.hangs()) {
      if (chosen.delay().isZero()) {
        complete.run();
      } else {
        timer = time.scheduler().schedule(complete, chosen.delay().toNanos(), TimeUnit.NANOSECONDS);
      }
    }
    ScheduledFuture<?> pendingTimer = timer;
    result.whenComplete(
        (r, e) -> {
          if (e instanceof CancellationException) {
            attempt.ended(UpstreamRequest.State.CANCELLED);
            if (attemptView != null) {
              attemptView.ended(0, e);
            }
            if (pendingTimer != null) {
              pendingTimer.cancel(false);
            }
          }
        });
    return result;
  }

  private static CompletableFuture<ProxyResponse> failed(
      TestRequestContext.Attempt view, Throwable failure) {
    if (view != null) {
      view.ended(0, failure);
    }
    return CompletableFuture.failedFuture(failure);
  }

  private static void finish(
      UpstreamOutcome outcome,
      UpstreamRequest attempt,
      Consumer<UpstreamResponse> onResponse,
      CompletableFuture<ProxyResponse> result,
      TestRequestContext.Attempt view) {
    if (result.isDone()) {
      return;
    }
    UpstreamResponse response = outcome.response(attempt);
    if (response == null) {
      UpstreamException failure = outcome.failure(attempt.attempt());
      if (view != null) {
        view.ended(0, failure);
      }
      if (result.completeExceptionally(failure)) {
        attempt.ended(UpstreamRequest.State.FAILED);
      }
      return;
    }
    attempt.responded(response);
    onResponse.accept(response);
    if (!result.complete(response)) {
      // Cancelled meanwhile: nobody will take the response.
      response.discard();
    }
    if (view != null) {
      view.ended(response.status(), null);
    }
  }
}
