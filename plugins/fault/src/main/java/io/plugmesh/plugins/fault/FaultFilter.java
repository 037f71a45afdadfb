package io.plugmesh.plugins.fault;

import static java.util.Objects.requireNonNull;

import io.plugmesh.filters.Filter;
import io.plugmesh.filters.FilterChain;
import io.plugmesh.filters.FilterMetrics;
import io.plugmesh.filters.FilterServices;
import io.plugmesh.filters.Headers;
import io.plugmesh.filters.ProxyRequest;
import io.plugmesh.filters.ProxyResponse;
import io.plugmesh.filters.advanced.ResponseFlag;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.DoubleSupplier;

/**
 * Delays and aborts a configured share of a route's eligible requests. Delays wait on the
 * scheduler, never on the calling thread; an abort answers without reaching the upstream. A fault
 * counts as active from the decision until the request's response is ready, and no new fault is
 * injected while {@code maxActiveFaults} are active.
 */
final class FaultFilter implements Filter {

  /** Request header choosing the delay share when {@code delay.headerPercentage} allows it. */
  static final String DELAY_PERCENTAGE_HEADER = "x-plugmesh-fault-delay-percentage";

  /** Request header choosing the abort share when {@code abort.headerPercentage} allows it. */
  static final String ABORT_PERCENTAGE_HEADER = "x-plugmesh-fault-abort-percentage";

  /** The body of an HTTP abort and the {@code grpc-message} of a gRPC one. */
  static final String ABORT_MESSAGE = "fault filter abort";

  private static final String GRPC_CONTENT_TYPE = "application/grpc";

  private final FaultConfig config;
  private final ScheduledExecutorService scheduler;
  private final DoubleSupplier random;
  private final AtomicInteger active;
  private final FilterMetrics.Counter delays;
  private final FilterMetrics.Counter aborts;
  private final FilterMetrics.Counter overflow;

  /**
   * Creates the filter.
   *
   * @param config the config
   * @param services the route's services
   * @param random uniform draws in [0, 1)
   * @param active the route's count of active faults, shared across config versions
   */
  FaultFilter(
      FaultConfig config, FilterServices services, DoubleSupplier random, AtomicInteger active) {
    this.config = requireNonNull(config, "config");
    this.scheduler = services.scheduler();
    this.random = requireNonNull(random, "random");
    this.active = requireNonNull(active, "active");
    FilterMetrics metrics = services.metrics();
    this.delays = metrics.counter("delays_injected");
    this.aborts = metrics.counter("aborts_injected");
    this.overflow = metrics.counter("faults_overflow");
  }

  @Override
  public CompletionStage<ProxyResponse> filter(ProxyRequest request, FilterChain chain) {
    Headers headers = request.headers();
    if (!eligible(headers)) {
      return chain.proceed(request);
    }
    boolean delay =
        config
            .delay()
            .map(
                d ->
                    draw(
                        share(
                            d.percentage(),
                            d.headerPercentage(),
                            headers.get(DELAY_PERCENTAGE_HEADER))))
            .orElse(false);
    boolean abort =
        config
            .abort()
            .map(
                a ->
                    draw(
                        share(
                            a.percentage(),
                            a.headerPercentage(),
                            headers.get(ABORT_PERCENTAGE_HEADER))))
            .orElse(false);
    if (!delay && !abort) {
      return chain.proceed(request);
    }
    if (!tryActivate()) {
      overflow.increment();
      return chain.proceed(request);
    }
    CompletableFuture<ProxyResponse> out = new CompletableFuture<>();
    out.whenComplete((r, e) -> active.decrementAndGet());
    if (!delay) {
      abort(request, out);
      return out;
    }
    request.context().addResponseFlag(ResponseFlag.DELAY_INJECTED);
    delays.increment();
    long nanos = config.delay().orElseThrow().fixed().toNanos();
    ScheduledFuture<?> timer =
        scheduler.schedule(
            () -> {
              if (abort) {
                abort(request, out);
              } else {
                proceed(request, chain, out);
              }
            },
            nanos,
            TimeUnit.NANOSECONDS);
    // Cancelled (route timeout, client gone) while waiting: never pass the request on.
    out.whenComplete((r, e) -> timer.cancel(false));
    return out;
  }

  private boolean eligible(Headers headers) {
    for (Map.Entry<String, String> condition : config.headers().entrySet()) {
      if (!headers.getAll(condition.getKey()).contains(condition.getValue())) {
        return false;
      }
    }
    return true;
  }

  /** The share for this request: the configured one, or a lower one the request header chose. */
  private static double share(double configured, boolean headerAllowed, String header) {
    if (!headerAllowed || header == null) {
      return configured;
    }
    try {
      double chosen = Double.parseDouble(header.trim());
      return chosen >= 0 && chosen <= 100 ? Math.min(chosen, configured) : configured;
    } catch (NumberFormatException e) {
      return configured;
    }
  }

  private boolean draw(double percentage) {
    return percentage >= 100 || (percentage > 0 && random.getAsDouble() * 100 < percentage);
  }

  private boolean tryActivate() {
    int limit = config.maxActiveFaults();
    while (true) {
      int now = active.get();
      if (now >= limit) {
        return false;
      }
      if (active.compareAndSet(now, now + 1)) {
        return true;
      }
    }
  }

  private void abort(ProxyRequest request, CompletableFuture<ProxyResponse> out) {
    if (out.isDone()) {
      return;
    }
    FaultConfig.Abort abort = config.abort().orElseThrow();
    request.context().addResponseFlag(ResponseFlag.FAULT_INJECTED);
    aborts.increment();
    String contentType = request.headers().get("content-type");
    ProxyResponse response =
        contentType != null && contentType.startsWith(GRPC_CONTENT_TYPE)
            ? ProxyResponse.builder(200)
                .header("content-type", GRPC_CONTENT_TYPE)
                .header("grpc-status", Integer.toString(abort.effectiveGrpcStatus()))
                .header("grpc-message", ABORT_MESSAGE)
                .build()
            : ProxyResponse.of(abort.httpStatus(), ABORT_MESSAGE + "\n");
    out.complete(response);
  }

  private static void proceed(
      ProxyRequest request, FilterChain chain, CompletableFuture<ProxyResponse> out) {
    if (out.isDone()) {
      return;
    }
    CompletableFuture<ProxyResponse> next;
    try {
      next = chain.proceed(request).toCompletableFuture();
    } catch (RuntimeException e) {
      out.completeExceptionally(e);
      return;
    }
    next.whenComplete(
        (response, error) -> {
          if (error != null) {
            out.completeExceptionally(error);
          } else if (!out.complete(response)) {
            response.discard();
          }
        });
    out.whenComplete(
        (r, e) -> {
          if (out.isCancelled()) {
            next.cancel(false);
          }
        });
  }

  @Override
  public String toString() {
    return "FaultFilter" + config;
  }
}
