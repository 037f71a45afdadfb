package io.plugmesh.plugins.retry;

import static java.util.Objects.requireNonNull;

import io.plugmesh.filters.Filter;
import io.plugmesh.filters.FilterChain;
import io.plugmesh.filters.FilterMetrics;
import io.plugmesh.filters.FilterServices;
import io.plugmesh.filters.ProxyRequest;
import io.plugmesh.filters.ProxyResponse;
import io.plugmesh.filters.advanced.ResponseFlag;
import io.plugmesh.filters.advanced.UpstreamException;
import io.plugmesh.plugins.retry.RetryConfig.Condition;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleSupplier;

/**
 * Sends a request again when an attempt fails in a way the route retries on, while attempts, the
 * retry budget and the replay buffer allow. Decisions are taken on the response head, before
 * anything goes to the client (the proxy sends the head only when the chain completes). Waits
 * (backoff, {@code Retry-After}, per-try timeouts) run on the scheduler, never on the caller.
 */
final class RetryFilter implements Filter {

  /** Response header set when a retry was skipped; the value says why. */
  static final String SKIPPED_HEADER = "x-plugmesh-retry-skipped";

  /** {@link #SKIPPED_HEADER} value: the request body exceeded {@code maxReplayBytes}. */
  static final String BODY_TOO_LARGE = "body-too-large";

  private final RetryConfig config;
  private final FilterServices services;
  private final RetryBudget budget;
  private final DoubleSupplier random;
  private final FilterMetrics metrics;
  private final FilterMetrics.Counter successes;
  private final FilterMetrics.Counter exhausted;
  private final FilterMetrics.Counter budgetExhausted;
  private final FilterMetrics.Counter skippedBody;
  private final FilterMetrics.Counter skippedRetryAfter;
  private final FilterMetrics.Counter perTryTimeouts;

  /**
   * Creates the filter.
   *
   * @param config the config
   * @param services the route's services
   * @param budget the route's budget
   * @param random uniform draws in [0, 1), for jitter
   */
  RetryFilter(
      RetryConfig config, FilterServices services, RetryBudget budget, DoubleSupplier random) {
    this.config = requireNonNull(config, "config");
    this.services = requireNonNull(services, "services");
    this.budget = requireNonNull(budget, "budget");
    this.random = requireNonNull(random, "random");
    this.metrics = services.metrics();
    this.successes = metrics.counter("retry_successes");
    this.exhausted = metrics.counter("retries_exhausted");
    this.budgetExhausted = metrics.counter("retries_budget_exhausted");
    this.skippedBody = metrics.counter("retries_skipped_body_too_large");
    this.skippedRetryAfter = metrics.counter("retries_skipped_retry_after");
    this.perTryTimeouts = metrics.counter("per_try_timeouts");
  }

  @Override
  public CompletionStage<ProxyResponse> filter(ProxyRequest request, FilterChain chain) {
    budget.onRequest(services.nanoTime());
    int maxAttempts = config.attempts();
    if (maxAttempts == 1 && config.perTryTimeout().isEmpty()) {
      return chain.proceed(request);
    }
    return new Run(request, chain, maxAttempts, config.methods().contains(request.method()))
        .start();
  }

  /**
   * Whether a failure means the upstream never saw the request: no connection was made, or an
   * HTTP/2 upstream refused the stream unprocessed. Retrying those is safe for every method
   * (Envoy's connect-failure semantics); anything else may have reached the application.
   */
  static boolean nothingSent(UpstreamException.Kind kind) {
    return kind == UpstreamException.Kind.CONNECT_FAILURE
        || kind == UpstreamException.Kind.REFUSED_STREAM;
  }

  /** Whether a failure before the response head is retried. */
  private boolean retries(UpstreamException.Kind kind) {
    Set<Condition> on = config.retryOn();
    boolean any = on.contains(Condition.FIVE_XX);
    return switch (kind) {
      case CONNECT_FAILURE -> any || on.contains(Condition.CONNECT_FAILURE);
      case REFUSED_STREAM -> any || on.contains(Condition.REFUSED_STREAM);
      case RESET -> any || on.contains(Condition.RESET);
      case TIMEOUT -> any || on.contains(Condition.RESET) || on.contains(Condition.GATEWAY_ERROR);
      case OVERFLOW, NO_HEALTHY_UPSTREAM -> false;
    };
  }

  /** Whether a response status is retried. */
  private boolean retries(int status) {
    Set<Condition> on = config.retryOn();
    return (on.contains(Condition.FIVE_XX) && status >= 500 && status <= 599)
        || (on.contains(Condition.GATEWAY_ERROR) && status >= 502 && status <= 504)
        || (on.contains(Condition.RETRIABLE_4XX) && status == 409)
        || (on.contains(Condition.RETRIABLE_STATUS_CODES)
            && config.retriableStatusCodes().contains(status));
  }

  private static String reason(ProxyResponse response, UpstreamException failure) {
    if (failure != null) {
      return failure.kind().name().toLowerCase(Locale.ROOT);
    }
    return "status_" + (response.status() / 100) + "xx";
  }

  private static Throwable unwrap(Throwable t) {
    while (t instanceof CompletionException && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  /** One attempt: its stage and its per-try timer. */
  private static final class Try {
    final int number;
    final CompletableFuture<ProxyResponse> stage;
    volatile ScheduledFuture<?> timer;
    volatile boolean timedOut;

    Try(int number, CompletableFuture<ProxyResponse> stage) {
      this.number = number;
      this.stage = stage;
    }

    void expire() {
      timedOut = true;
      stage.cancel(false);
    }

    void cancelTimer() {
      ScheduledFuture<?> t = timer;
      if (t != null) {
        t.cancel(false);
      }
    }
  }

  /**
   * One request's attempts. Steps happen one after another (each starts from the previous one's
   * completion or timer), possibly on different threads; {@link #result} completing (or being
   * cancelled by the route timeout or a client that left) stops everything.
   */
  private final class Run {
    private final ProxyRequest request;
    private final FilterChain chain;
    private final int maxAttempts;
    private final boolean methodRetried;
    private final CompletableFuture<ProxyResponse> result = new CompletableFuture<>();
    private volatile Try current;
    private volatile ScheduledFuture<?> backoff;
    private volatile int sent;

    Run(ProxyRequest request, FilterChain chain, int maxAttempts, boolean methodRetried) {
      this.request = request;
      this.chain = chain;
      this.maxAttempts = maxAttempts;
      this.methodRetried = methodRetried;
    }

    CompletableFuture<ProxyResponse> start() {
      result.whenComplete(
          (r, e) -> {
            if (result.isCancelled()) {
              stop();
            }
          });
      send();
      return result;
    }

    private void stop() {
      ScheduledFuture<?> b = backoff;
      if (b != null) {
        b.cancel(false);
      }
      Try t = current;
      if (t != null) {
        t.cancelTimer();
        t.stage.cancel(false);
      }
    }

    private void send() {
      if (result.isDone()) {
        return;
      }
      int number = ++sent;
      CompletableFuture<ProxyResponse> stage;
      try {
        stage = chain.proceed(request).toCompletableFuture();
      } catch (RuntimeException e) {
        result.completeExceptionally(e);
        return;
      }
      Try t = new Try(number, stage);
      current = t;
      config
          .perTryTimeout()
          .ifPresent(
              d ->
                  t.timer =
                      services.scheduler().schedule(t::expire, d.toNanos(), TimeUnit.NANOSECONDS));
      stage.whenComplete((response, error) -> onAttempt(t, response, error));
      if (result.isDone()) {
        stop(); // cancelled while this attempt was starting
      }
    }

    private void onAttempt(Try t, ProxyResponse response, Throwable error) {
      t.cancelTimer();
      if (result.isDone()) {
        if (response != null) {
          response.discard();
        }
        return;
      }
      UpstreamException failure = null;
      boolean retriable;
      if (error != null) {
        Throwable cause = unwrap(error);
        if (cause instanceof CancellationException && t.timedOut) {
          perTryTimeouts.increment();
          failure =
              new UpstreamException(
                  UpstreamException.Kind.TIMEOUT,
                  "per-try timeout of "
                      + config.perTryTimeout().orElseThrow()
                      + " elapsed on attempt "
                      + t.number);
        } else if (cause instanceof UpstreamException up) {
          failure = up;
        } else {
          // A later filter failed or the attempt was cancelled from outside: not for retrying.
          result.completeExceptionally(cause);
          return;
        }
        // A method outside `methods` is sent again only when the upstream never saw it.
        retriable = retries(failure.kind()) && (methodRetried || nothingSent(failure.kind()));
      } else {
        retriable = methodRetried && retries(response.status());
      }
      if (!retriable) {
        if (t.number > 1 && failure == null) {
          successes.increment();
        }
        finish(response, failure);
        return;
      }
      if (t.number >= maxAttempts) {
        if (maxAttempts > 1) {
          request.context().addResponseFlag(ResponseFlag.UPSTREAM_RETRY_LIMIT_EXCEEDED);
          exhausted.increment();
        }
        finish(response, failure);
        return;
      }
      if (!request.replayable()) {
        skipBodyTooLarge(response, failure);
        return;
      }
      long waitNanos;
      Optional<Duration> retryAfter =
          response != null && (response.status() == 503 || response.status() == 429)
              ? RetryAfter.parse(response.headers().get("retry-after"), services.clock().instant())
              : Optional.empty();
      if (retryAfter.isPresent()) {
        if (retryAfter.get().compareTo(config.maxRetryAfter()) > 0) {
          skippedRetryAfter.increment();
          finish(response, null);
          return;
        }
        waitNanos = retryAfter.get().toNanos();
      } else {
        waitNanos = (long) (random.getAsDouble() * config.backoff().ceilingNanos(t.number));
      }
      if (!budget.tryRetry(services.nanoTime())) {
        budgetExhausted.increment();
        finish(response, failure);
        return;
      }
      metrics.counter("retries", "reason", reason(response, failure)).increment();
      if (response != null) {
        response.discard();
      }
      if (waitNanos <= 0) {
        send();
        return;
      }
      backoff = services.scheduler().schedule(this::send, waitNanos, TimeUnit.NANOSECONDS);
      if (result.isDone()) {
        stop();
      }
    }

    /** A retry was due but the body was streamed (over maxReplayBytes): answer, flagged. */
    private void skipBodyTooLarge(ProxyResponse response, UpstreamException failure) {
      skippedBody.increment();
      request.context().addResponseFlag(ResponseFlag.RETRY_SKIPPED_BODY_TOO_LARGE);
      if (response != null) {
        response.headers().set(SKIPPED_HEADER, BODY_TOO_LARGE);
        finish(response, null);
        return;
      }
      request.context().addResponseFlag(failure.kind().flag());
      finish(
          ProxyResponse.builder(failure.kind().status())
              .header("content-type", "text/plain; charset=utf-8")
              .header(SKIPPED_HEADER, BODY_TOO_LARGE)
              .body(failure.getMessage() + "\n")
              .build(),
          null);
    }

    private void finish(ProxyResponse response, UpstreamException failure) {
      if (response == null) {
        result.completeExceptionally(failure);
      } else if (!result.complete(response)) {
        response.discard();
      }
    }
  }

  @Override
  public String toString() {
    return "RetryFilter" + config;
  }
}
