package io.plugmesh.plugins.ratelimit;

import static java.util.Objects.requireNonNull;

import io.plugmesh.filters.Filter;
import io.plugmesh.filters.FilterChain;
import io.plugmesh.filters.FilterServices;
import io.plugmesh.filters.ProxyRequest;
import io.plugmesh.filters.ProxyResponse;
import io.plugmesh.filters.advanced.FilterMode;
import io.plugmesh.filters.advanced.ResponseFlag;
import io.plugmesh.plugins.ratelimit.RateLimitMetrics.BackendError;
import io.plugmesh.plugins.ratelimit.RateLimitMetrics.Decision;
import io.plugmesh.plugins.ratelimit.RateLimitMetrics.Source;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Takes one token per request from the caller's bucket: local buckets answer at once; in global
 * mode Redis is asked asynchronously and, if it does not answer within the route's timeout, the
 * failure policy answers (local fallback buckets, or 503). Requests without a token get 429 with
 * {@code Retry-After}; every answer carries the configured rate-limit headers.
 *
 * <p>In {@linkplain FilterMode#SHADOW shadow mode} (the route entry's {@code mode}, read from
 * {@link FilterServices#mode()}) the filter decides as always but its 429 or 503 is counted as
 * {@code shadow_limited}, carries no response flag, and is dropped by the proxy, which counts and
 * logs it as a shadow decision and sends the request on; no rate-limit headers are written, so
 * clients see nothing of a policy on trial.
 */
final class RateLimitFilter implements Filter {

  /** Status of rejected requests. */
  static final int LIMITED_STATUS = 429;

  /** Status when Redis fails and the failure policy is closed. */
  static final int UNAVAILABLE_STATUS = 503;

  /** {@code Retry-After} of a fail-closed 503, in seconds. */
  static final long UNAVAILABLE_RETRY_AFTER_SECONDS = 1;

  /** At most one Redis failure is logged per this many nanoseconds (10s). */
  static final long FAILURE_LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);

  private final RateLimitConfig config;
  private final FilterServices services;
  private final boolean shadow;
  private final RateLimitMetrics metrics;
  private final LocalBuckets local;
  private final GlobalBuckets global;
  private final LocalBuckets fallback;
  private final long timeoutNanos;
  private final AtomicLong lastFailureLog = new AtomicLong(Long.MIN_VALUE);

  /**
   * Creates the filter.
   *
   * @param config the config
   * @param services the route's services
   * @param local the buckets of local mode, or of fallback in global mode
   * @param global the shared buckets in global mode, else null
   */
  RateLimitFilter(
      RateLimitConfig config, FilterServices services, LocalBuckets local, GlobalBuckets global) {
    this.config = requireNonNull(config, "config");
    this.services = requireNonNull(services, "services");
    this.shadow = services.mode() == FilterMode.SHADOW;
    this.metrics = new RateLimitMetrics(services.metrics());
    if (config.mode() == RateLimitConfig.Mode.GLOBAL) {
      this.global = requireNonNull(global, "global");
      this.fallback = requireNonNull(local, "local");
      this.local = null;
      this.timeoutNanos = config.redis().timeout().toNanos();
    } else {
      this.local = requireNonNull(local, "local");
      this.global = null;
      this.fallback = null;
      this.timeoutNanos = 0;
    }
  }

  @Override
  public CompletionStage<ProxyResponse> filter(ProxyRequest request, FilterChain chain) {
    BucketKey key = BucketKey.of(config.key(), request);
    LimitSet limits = config.limitsFor(key);
    if (global == null) {
      return decide(request, chain, local.tryConsume(key.text(), limits), Source.LOCAL);
    }
    long start = services.nanoTime();
    return bounded(global.tryConsume(key.text(), limits))
        .handle(
            (outcome, error) -> {
              if (error == null) {
                metrics.redisCall(services.nanoTime() - start);
                return decide(request, chain, outcome, Source.REDIS);
              }
              return onBackendFailure(request, chain, key, limits, error);
            })
        .thenCompose(stage -> stage);
  }

  /** Fails the stage with a {@link TimeoutException} when Redis takes longer than the timeout. */
  private CompletableFuture<Outcome> bounded(CompletableFuture<Outcome> call) {
    if (call.isDone()) {
      return call;
    }
    CompletableFuture<Outcome> result = new CompletableFuture<>();
    ScheduledFuture<?> timer =
        services
            .scheduler()
            .schedule(
                () -> {
                  result.completeExceptionally(
                      new TimeoutException(
                          "Redis did not answer within " + config.redis().timeout()));
                },
                timeoutNanos,
                TimeUnit.NANOSECONDS);
    call.whenComplete(
        (outcome, error) -> {
          timer.cancel(false);
          if (error != null) {
            result.completeExceptionally(error);
          } else {
            result.complete(outcome);
          }
        });
    return result;
  }

  private CompletionStage<ProxyResponse> onBackendFailure(
      ProxyRequest request, FilterChain chain, BucketKey key, LimitSet limits, Throwable error) {
    Throwable cause =
        error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    metrics.backendError(
        cause instanceof TimeoutException ? BackendError.TIMEOUT : BackendError.ERROR);
    logFailure(cause);
    RateLimitConfig.Redis redis = config.redis();
    if (redis.failurePolicy() == RateLimitConfig.FailurePolicy.OPEN) {
      LimitSet fallbackLimits = redis.fallbackLimits() != null ? redis.fallbackLimits() : limits;
      return decide(
          request, chain, fallback.tryConsume(key.text(), fallbackLimits), Source.FALLBACK);
    }
    if (shadow) {
      metrics.request(Decision.SHADOW_LIMITED, Source.POLICY);
    } else {
      metrics.request(Decision.REJECTED_UNAVAILABLE, Source.POLICY);
      request.context().addResponseFlag(ResponseFlag.LOCAL_RESPONSE);
    }
    return CompletableFuture.completedFuture(
        ProxyResponse.builder(UNAVAILABLE_STATUS)
            .header("content-type", "text/plain; charset=utf-8")
            .header(RateLimitHeaders.RETRY_AFTER, Long.toString(UNAVAILABLE_RETRY_AFTER_SECONDS))
            .body("rate limit service unavailable\n")
            .build());
  }

  private CompletionStage<ProxyResponse> decide(
      ProxyRequest request, FilterChain chain, Outcome outcome, Source source) {
    if (outcome.allowed()) {
      metrics.request(Decision.ALLOWED, source);
      CompletionStage<ProxyResponse> next = chain.proceed(request);
      if (shadow || config.headers() == RateLimitConfig.HeaderStyle.NONE) {
        return next;
      }
      return next.thenApply(
          response -> {
            RateLimitHeaders.write(config.headers(), outcome, response.headers());
            return response;
          });
    }
    if (shadow) {
      metrics.request(Decision.SHADOW_LIMITED, source);
    } else {
      metrics.request(Decision.LIMITED, source);
      request.context().addResponseFlag(ResponseFlag.RATE_LIMITED);
    }
    var response =
        ProxyResponse.builder(LIMITED_STATUS)
            .header("content-type", "text/plain; charset=utf-8")
            .header(
                RateLimitHeaders.RETRY_AFTER,
                Long.toString(RateLimitHeaders.retryAfterSeconds(outcome.nanosToWait())))
            .body("rate limit exceeded\n")
            .build();
    RateLimitHeaders.write(config.headers(), outcome, response.headers());
    return CompletableFuture.completedFuture(response);
  }

  private void logFailure(Throwable cause) {
    long now = services.nanoTime();
    long last = lastFailureLog.get();
    if ((last == Long.MIN_VALUE || now - last >= FAILURE_LOG_INTERVAL_NANOS)
        && lastFailureLog.compareAndSet(last, now)) {
      services
          .logger()
          .log(
              System.Logger.Level.WARNING,
              "route '"
                  + services.routeName()
                  + "': Redis failed ("
                  + cause
                  + "); failure policy "
                  + config.redis().failurePolicy().name().toLowerCase(java.util.Locale.ROOT)
                  + " answers (logged at most every 10s)");
    }
  }

  @Override
  public String toString() {
    return "RateLimitFilter{route="
        + services.routeName()
        + ", mode="
        + config.mode()
        + (shadow ? ", shadow" : "")
        + "}";
  }
}
