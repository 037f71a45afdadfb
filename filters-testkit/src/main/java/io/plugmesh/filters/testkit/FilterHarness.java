package io.plugmesh.filters.testkit;

import static java.util.Objects.requireNonNull;

import io.plugmesh.filters.ConfigNode;
import io.plugmesh.filters.Filter;
import io.plugmesh.filters.FilterFactory;
import io.plugmesh.filters.Phase;
import io.plugmesh.filters.ProxyRequest;
import io.plugmesh.filters.ProxyResponse;
import io.plugmesh.filters.advanced.BodyAccess;
import io.plugmesh.filters.advanced.FilterMode;
import io.plugmesh.filters.advanced.UpstreamException;
import io.plugmesh.filters.internal.ChainRunner;
import io.plugmesh.filters.internal.FilterFailure;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Runs a filter, or an ordered chain of them, in-process against a {@link FakeUpstream}: no
 * sockets, virtual time, and the proxy's own chain rules.
 *
 * <pre>{@code
 * FilterHarness harness = FilterHarness.of(new TenantFilterFactory(), Map.of("header", "x-tenant"));
 * TestResponse response = harness.send(TestRequest.get("/reviews"));
 * assertThat(response.status()).isEqualTo(403);
 * assertThat(harness.upstream().attempts()).isZero();
 * }</pre>
 *
 * <p>A chain, with modes and a scripted upstream:
 *
 * <pre>{@code
 * FilterHarness harness = FilterHarness.builder()
 *     .add(new JwtFactory(), Map.of("issuer", "https://idp.test", "jwksUri", "..."))
 *     .add(new RateLimitFactory(), Map.of("tokens", 1, "per", "1s"), FilterMode.SHADOW)
 *     .add(new RetryFactory(), Map.of("attempts", 3))
 *     .upstream(FakeUpstream.script(respond(503), respond(200, "ok")))
 *     .build();
 * }</pre>
 *
 * <p>What the harness does as the proxy does:
 *
 * <ul>
 *   <li>Config from a factory is checked against {@link FilterFactory#configSchema()} (JSON Schema
 *       draft 2020-12) by the proxy's own validator and then parsed with {@link
 *       FilterFactory#parseConfig}; both failures are a {@link io.plugmesh.filters.ConfigException}
 *       naming the field, with the proxy's text (the proxy reports field {@code x} as {@code
 *       config.x}). Of several schema violations the first is thrown and the others are attached to
 *       it as suppressed exceptions. {@link FilterMode#OFF} plugins are validated but not created.
 *   <li>Each plugin is created with its {@link FilterMode} in {@link
 *       io.plugmesh.filters.FilterServices#mode()}; in {@link FilterMode#SHADOW} an answer it makes
 *       itself is counted as {@link TestResponse.Decision#SHADOW} and the request goes on.
 *   <li>Plugin names must be lower case, digits and dashes; {@link Phase}s must be in order (AUTHN,
 *       AUTHZ, RATE_LIMIT, FAULT, RETRY; OBSERVE and CUSTOM anywhere).
 *   <li>The chain runs on the proxy's own chain runner: {@code proceed} at most once unless the
 *       factory declares {@link FilterFactory#replay replay}, no nulls, throws become failures,
 *       shadow mode lets the request through. See {@link TestResponse} for how failures show.
 *   <li>{@link ProxyRequest#body()} is present when a filter declared {@link BodyAccess#buffered
 *       buffered} access (a body over the smallest declared limit gets {@value
 *       TestResponse#PAYLOAD_TOO_LARGE_STATUS} without running the chain); {@link
 *       ProxyRequest#replayable()} is true when the body fits the largest replay limit. A second
 *       upstream attempt of a request that is not replayable fails with an {@link
 *       IllegalStateException}: check {@code replayable()} before retrying.
 * </ul>
 *
 * <p>One thing the harness does not do as the proxy does: it hands filters the request path as the
 * test wrote it. The proxy hands them the path it routed on, already normalized, and answers 400
 * before any filter to a path that has no normal form; the harness lets a test send any path, as a
 * path rewrite earlier in a chain might produce. {@link ProxyRequest#normalizedPath()} is the same
 * in both.
 *
 * <p>And what it checks beyond the proxy, because the proxy cannot tell: a send fails with an
 * {@link AssertionError} when an upstream response was dropped without {@link
 * ProxyResponse#discard()} (the proxy would leak its connection) or a discarded response was
 * returned.
 *
 * <p>Time is virtual ({@link VirtualTime}): the scheduler only fires on {@link #advance}. For a
 * filter that waits on a timer, use {@link #sendAsync} then {@code advance}:
 *
 * <pre>{@code
 * CompletableFuture<TestResponse> pending = harness.sendAsync(TestRequest.get("/"));
 * assertThat(pending).isNotDone();
 * harness.advance(Duration.ofMillis(200));
 * assertThat(harness.await(pending).status()).isEqualTo(200);
 * }</pre>
 *
 * <p>Stages complete on whichever thread completes them (the test thread, a scheduler task run by
 * {@code advance}, or the blocking executor); there is no event loop to hop back to.
 *
 * <p>{@link #close()} closes the plugins' {@link io.plugmesh.filters.FilterServices#shared shared}
 * objects.
 */
public final class FilterHarness implements AutoCloseable {

  /** How long {@link #send} and {@link #await} wait in real time unless told otherwise. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);

  /** The plugin name of a plain filter added without one. */
  public static final String DEFAULT_FILTER_NAME = "filter";

  /** How often a waiting {@link #await} runs due scheduler tasks. */
  private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

  private static final Pattern PLUGIN_NAME = Pattern.compile("[a-z0-9]+(-[a-z0-9]+)*");
  private static final Executor INLINE = Runnable::run;

  private final ChainRunner runner;
  private final FakeUpstream upstream;
  private final TestFilterServices services;
  private final Map<String, TestFilterServices> pluginServices;
  private final Duration timeout;
  private final int bufferLimit;
  private final int replayLimit;

  private FilterHarness(
      ChainRunner runner,
      FakeUpstream upstream,
      TestFilterServices services,
      Map<String, TestFilterServices> pluginServices,
      Duration timeout,
      int bufferLimit,
      int replayLimit) {
    this.runner = runner;
    this.upstream = upstream;
    this.services = services;
    this.pluginServices = pluginServices;
    this.timeout = timeout;
    this.bufferLimit = bufferLimit;
    this.replayLimit = replayLimit;
  }

  /**
   * A harness for one plugin with its config, in enforce mode, in front of an upstream answering
   * {@code 200 ok}.
   *
   * @param factory the plugin's factory
   * @param config the plugin's {@code config} as plain values (maps, lists, strings, numbers,
   *     booleans), as written in route YAML
   * @return the harness
   * @throws io.plugmesh.filters.ConfigException if the config fails the schema or the parser
   */
  public static FilterHarness of(FilterFactory<?> factory, Map<String, ?> config) {
    return builder().add(factory, config).build();
  }

  /**
   * A harness for one plugin with an empty config.
   *
   * @param factory the plugin's factory
   * @return the harness
   */
  public static FilterHarness of(FilterFactory<?> factory) {
    return of(factory, Map.of());
  }

  /**
   * A harness for a plain filter named {@value #DEFAULT_FILTER_NAME}.
   *
   * @param filter the filter
   * @return the harness
   */
  public static FilterHarness of(Filter filter) {
    return builder().add(DEFAULT_FILTER_NAME, filter).build();
  }

  /**
   * A builder for chains, modes, a scripted upstream, a route name or a start time.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Sends a request through the chain and waits (in real time, at most the {@linkplain
   * Builder#timeout timeout}) for the response, running scheduler tasks that are due meanwhile.
   * Does not advance virtual time.
   *
   * @param request the request
   * @return the response
   * @throws AssertionError if no response came in time, or a resource rule was broken (see class
   *     comment)
   */
  public TestResponse send(TestRequest request) {
    return await(sendAsync(request));
  }

  /**
   * Sends a request through the chain without waiting. Cancelling the returned future cancels the
   * chain, as a client disconnect does.
   *
   * @param request the request
   * @return the response, completed when the chain completes (exceptionally only with an {@link
   *     AssertionError} for a broken resource rule)
   */
  public CompletableFuture<TestResponse> sendAsync(TestRequest request) {
    requireNonNull(request, "request");
    RunTrace trace = new RunTrace();
    boolean buffered = bufferLimit >= 0;
    TestProxyRequest proxyRequest =
        request.newProxyRequest(services.routeName(), buffered, replayLimit, trace);
    if (buffered && request.bodyLength() > bufferLimit) {
      return CompletableFuture.completedFuture(
          TestResponse.local(
              TestResponse.PAYLOAD_TOO_LARGE_STATUS,
              "request body of "
                  + request.bodyLength()
                  + " bytes exceeds "
                  + bufferLimit
                  + " bytes\n",
              proxyRequest,
              trace));
    }
    CompletionStage<ProxyResponse> stage =
        runner.run(
            proxyRequest,
            attempt -> sendUpstream(attempt, proxyRequest, trace),
            INLINE,
            (index, link, decision, selfNanos, error) ->
                trace.decided(
                    new TestResponse.PluginDecision(
                        link.name(), TestResponse.Decision.valueOf(decision.name()), error)));
    CompletableFuture<TestResponse> out = new CompletableFuture<>();
    stage.whenComplete(
        (response, error) -> {
          try {
            out.complete(finish(response, error, proxyRequest, trace));
          } catch (Throwable t) {
            out.completeExceptionally(t);
          }
        });
    out.whenComplete(
        (r, e) -> {
          if (out.isCancelled()) {
            stage.toCompletableFuture().cancel(false);
          }
        });
    return out;
  }

  /**
   * Waits in real time, at most the {@linkplain Builder#timeout timeout}, for a stage such as one
   * from {@link #sendAsync}, running scheduler tasks that are due meanwhile (without advancing
   * virtual time).
   *
   * @param stage the stage
   * @param <T> the result type
   * @return the result
   * @throws AssertionError if it does not complete in time
   * @throws CancellationException if it was cancelled
   */
  public <T> T await(CompletionStage<T> stage) {
    CompletableFuture<T> future = requireNonNull(stage, "stage").toCompletableFuture();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      services.time().runDueTasks();
      if (future.isDone()) {
        try {
          return future.join();
        } catch (CompletionException e) {
          Throwable cause = e.getCause();
          if (cause instanceof RuntimeException runtime) {
            throw runtime;
          }
          if (cause instanceof Error error) {
            throw error;
          }
          throw e;
        }
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new AssertionError(
            "no result after "
                + timeout
                + " of real time; virtual time is at +"
                + services.time().elapsed()
                + " with "
                + services.time().pendingTasks()
                + " scheduler task(s) pending"
                + services.time().nextTaskIn().map(d -> ", the next due in " + d).orElse("")
                + " (if the chain waits on the scheduler, use sendAsync() and advance())");
      }
      try {
        future.get(Math.min(left, POLL_NANOS), TimeUnit.NANOSECONDS);
      } catch (TimeoutException | ExecutionException | CancellationException e) {
        // Checked again at the top of the loop.
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted while waiting for " + stage, e);
      }
    }
  }

  /**
   * Moves virtual time forward, firing the scheduler tasks (filter timers, delayed upstream
   * outcomes) that fall due, in order.
   *
   * @param by how far, not negative
   */
  public void advance(Duration by) {
    services.time().advance(by);
  }

  /**
   * The fake upstream at the end of the chain.
   *
   * @return the upstream
   */
  public FakeUpstream upstream() {
    return upstream;
  }

  /**
   * What the chain's filters recorded through their metrics.
   *
   * @return the metrics of every plugin in the chain
   */
  public TestMetrics metrics() {
    return services.recordedMetrics();
  }

  /**
   * What the chain's filters logged through their loggers, oldest first.
   *
   * @return the log entries of every plugin in the chain
   */
  public List<LogEntry> logs() {
    return services.logs();
  }

  /**
   * The virtual time behind every plugin's clock and scheduler.
   *
   * @return the virtual time
   */
  public VirtualTime time() {
    return services.time();
  }

  /**
   * The services a plugin in the chain was created with (sharing time, metrics and logs with all
   * others), e.g. to reach its {@link io.plugmesh.filters.FilterServices#shared shared} objects.
   *
   * @param pluginName the plugin name
   * @return the plugin's services
   */
  public TestFilterServices services(String pluginName) {
    TestFilterServices made = pluginServices.get(pluginName);
    return made != null ? made : services.forPlugin(pluginName);
  }

  /**
   * Closes the plugins' {@link io.plugmesh.filters.FilterServices#shared shared} objects that are
   * {@link AutoCloseable}.
   */
  @Override
  public void close() {
    services.close();
  }

  /**
   * The chain as the proxy prints it, e.g. {@code authn-jwt -> ratelimit(shadow) -> upstream}.
   *
   * @return the chain
   */
  @Override
  public String toString() {
    return runner.toString();
  }

  private CompletionStage<ProxyResponse> sendUpstream(
      ProxyRequest attempt, TestProxyRequest original, RunTrace trace) {
    if (trace.attemptCount() > 0 && !original.replayable()) {
      return CompletableFuture.failedFuture(
          new IllegalStateException(
              "another upstream attempt of a request whose body ("
                  + original.bodyBytes().length
                  + " bytes) exceeds the replay limit ("
                  + replayLimit
                  + " bytes; expected: check ProxyRequest.replayable() before proceeding again)"));
    }
    return upstream.handle(
        attempt, original.bodyBytes(), services.time(), trace::attempted, trace::upstreamResponded);
  }

  private static TestResponse finish(
      ProxyResponse response, Throwable error, TestProxyRequest request, RunTrace trace) {
    if (error != null) {
      Throwable cause = error;
      while (cause instanceof CompletionException && cause.getCause() != null) {
        cause = cause.getCause();
      }
      if (cause instanceof CancellationException cancelled) {
        throw cancelled;
      }
      if (cause instanceof UpstreamException upstreamFailure) {
        request.context().addResponseFlag(upstreamFailure.kind().flag());
        return TestResponse.failed(
            upstreamFailure.kind().status(), upstreamFailure, null, request, trace);
      }
      String plugin = cause instanceof FilterFailure failure ? failure.plugin() : null;
      return TestResponse.failed(TestResponse.FILTER_FAILURE_STATUS, cause, plugin, request, trace);
    }
    List<UpstreamResponse> dropped =
        trace.upstreamResponses().stream()
            .filter(r -> r != response && !r.discarded())
            .collect(Collectors.toList());
    if (!dropped.isEmpty()) {
      throw new AssertionError(
          dropped.size()
              + " upstream response(s) dropped without discard() (attempts "
              + dropped.stream()
                  .map(r -> String.valueOf(r.attempt().attempt()))
                  .collect(Collectors.joining(", "))
              + "): call discard() on a response before retrying or replacing it, or the proxy"
              + " leaks its connection");
    }
    if (response instanceof UpstreamResponse upstreamResponse && upstreamResponse.discarded()) {
      throw new AssertionError(
          "the chain returned an upstream response it had discarded (attempt "
              + upstreamResponse.attempt().attempt()
              + "; expected: return a response that was not discarded)");
    }
    String answeredBy = trace.origin(response).orElse(null);
    return TestResponse.of(response, answeredBy, request, trace);
  }

  /** One plugin of the chain once its factory has run; services null when off. */
  private record Made(
      String name,
      Filter filter,
      FilterMode mode,
      Phase phase,
      BodyAccess bodyAccess,
      int replay,
      TestFilterServices services) {}

  /** Builds a {@link FilterHarness}. */
  public static final class Builder {
    private final List<Function<TestFilterServices, Made>> plugins = new ArrayList<>();
    private FakeUpstream upstream;
    private String routeName = TestFilterServices.DEFAULT_ROUTE;
    private Instant start = VirtualTime.DEFAULT_START;
    private Executor blockingExecutor = INLINE;
    private Duration timeout = DEFAULT_TIMEOUT;

    private Builder() {}

    /**
     * Appends a plugin in enforce mode.
     *
     * @param factory the plugin's factory
     * @param config its {@code config} as plain values
     * @return this builder
     */
    public Builder add(FilterFactory<?> factory, Map<String, ?> config) {
      return add(factory, config, FilterMode.ENFORCE);
    }

    /**
     * Appends a plugin.
     *
     * @param factory the plugin's factory
     * @param config its {@code config} as plain values
     * @param mode enforce, shadow or off; the filter is told it in {@link
     *     io.plugmesh.filters.FilterServices#mode()}
     * @return this builder
     */
    public Builder add(FilterFactory<?> factory, Map<String, ?> config, FilterMode mode) {
      requireNonNull(factory, "factory");
      requireNonNull(config, "config");
      requireNonNull(mode, "mode");
      plugins.add(services -> make(factory, config, mode, services));
      return this;
    }

    /**
     * Appends a plain filter in enforce mode.
     *
     * @param name its plugin name: lower case, digits and dashes
     * @param filter the filter
     * @return this builder
     */
    public Builder add(String name, Filter filter) {
      return add(name, filter, FilterMode.ENFORCE);
    }

    /**
     * Appends a plain filter.
     *
     * @param name its plugin name: lower case, digits and dashes
     * @param filter the filter
     * @param mode enforce, shadow or off
     * @return this builder
     */
    public Builder add(String name, Filter filter, FilterMode mode) {
      return add(name, filter, mode, 0);
    }

    /**
     * Appends a plain filter that may {@code proceed} more than once, as if its factory declared
     * {@link FilterFactory#replay replay}.
     *
     * @param name its plugin name: lower case, digits and dashes
     * @param filter the filter
     * @param mode enforce, shadow or off
     * @param replayBytes the replay limit in bytes; 0 for proceed at most once
     * @return this builder
     */
    public Builder add(String name, Filter filter, FilterMode mode, int replayBytes) {
      checkName(name);
      requireNonNull(filter, "filter");
      requireNonNull(mode, "mode");
      if (replayBytes < 0) {
        throw new IllegalArgumentException("replayBytes: " + replayBytes + " (expected: >= 0)");
      }
      plugins.add(
          services ->
              new Made(
                  name,
                  filter,
                  mode,
                  Phase.CUSTOM,
                  BodyAccess.none(),
                  replayBytes,
                  mode == FilterMode.OFF ? null : services.forPlugin(name, mode)));
      return this;
    }

    /**
     * The fake upstream at the end of the chain; by default one answering {@code 200 ok}.
     *
     * @param upstream the upstream
     * @return this builder
     */
    public Builder upstream(FakeUpstream upstream) {
      this.upstream = requireNonNull(upstream, "upstream");
      return this;
    }

    /**
     * The route name filters see; {@value TestFilterServices#DEFAULT_ROUTE} by default.
     *
     * @param routeName the route name
     * @return this builder
     */
    public Builder route(String routeName) {
      this.routeName = requireNonNull(routeName, "routeName");
      return this;
    }

    /**
     * Where the virtual wall clock starts; {@link VirtualTime#DEFAULT_START} by default.
     *
     * @param start the initial instant
     * @return this builder
     */
    public Builder startTime(Instant start) {
      this.start = requireNonNull(start, "start");
      return this;
    }

    /**
     * The plugins' blocking executor; by default tasks run inline on the calling thread.
     *
     * @param executor the executor (the test owns and shuts it down)
     * @return this builder
     */
    public Builder blockingExecutor(Executor executor) {
      this.blockingExecutor = requireNonNull(executor, "executor");
      return this;
    }

    /**
     * How long {@link #send} and {@link #await} wait in real time; {@link #DEFAULT_TIMEOUT} by
     * default.
     *
     * @param timeout the bound, positive
     * @return this builder
     */
    public Builder timeout(Duration timeout) {
      requireNonNull(timeout, "timeout");
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("timeout: " + timeout + " (expected: > 0)");
      }
      this.timeout = timeout;
      return this;
    }

    /**
     * Validates every plugin's config, creates the filters and builds the chain.
     *
     * @return the harness
     * @throws io.plugmesh.filters.ConfigException if a config fails its schema or parser
     * @throws IllegalArgumentException if a plugin name, schema or the phase order is wrong
     * @throws IllegalStateException if a factory breaks its contract (returns null)
     */
    public FilterHarness build() {
      TestFilterServices services =
          TestFilterServices.builder()
              .route(routeName)
              .startTime(start)
              .blockingExecutor(blockingExecutor)
              .build();
      List<Made> made = new ArrayList<>();
      for (Function<TestFilterServices, Made> plugin : plugins) {
        made.add(plugin.apply(services));
      }
      List<Made> active = made.stream().filter(m -> m.mode() != FilterMode.OFF).toList();
      Map<String, TestFilterServices> pluginServices = new HashMap<>();
      for (Made m : active) {
        if (m.services() != null) {
          pluginServices.putIfAbsent(m.name(), m.services());
        }
      }
      checkOrder(active);
      int bufferLimit = -1;
      int replayLimit = 0;
      List<ChainRunner.Link> links = new ArrayList<>();
      for (Made m : active) {
        if (m.bodyAccess() instanceof BodyAccess.Buffered buffered) {
          bufferLimit =
              bufferLimit < 0 ? buffered.maxBytes() : Math.min(bufferLimit, buffered.maxBytes());
        }
        replayLimit = Math.max(replayLimit, m.replay());
        links.add(
            new ChainRunner.Link(
                m.name(), Tracing.wrap(m.name(), m.filter()), m.mode(), m.replay() > 0));
      }
      return new FilterHarness(
          new ChainRunner(links),
          upstream != null ? upstream : FakeUpstream.respond(200, "ok"),
          services,
          Map.copyOf(pluginServices),
          timeout,
          bufferLimit,
          replayLimit);
    }

    private static <C> Made make(
        FilterFactory<C> factory,
        Map<String, ?> config,
        FilterMode mode,
        TestFilterServices services) {
      String name = checkName(factory.name());
      Phase phase = requireNonNull(factory.phase(), "plugin '" + name + "': phase() returned null");
      ConfigCheck.validate(factory, name, config);
      C parsed = factory.parseConfig(ConfigNode.of(config));
      if (parsed == null) {
        throw new IllegalStateException(
            "plugin '" + name + "': parseConfig returned null (expected: a config object)");
      }
      BodyAccess bodyAccess =
          requireNonNull(factory.bodyAccess(parsed), "plugin '" + name + "': bodyAccess is null");
      int replay = factory.replay(parsed);
      if (replay < 0) {
        throw new IllegalStateException(
            "plugin '" + name + "': replay " + replay + " (expected: >= 0)");
      }
      if (mode == FilterMode.OFF) {
        return new Made(name, null, mode, phase, bodyAccess, replay, null);
      }
      TestFilterServices own = services.forPlugin(name, mode);
      Filter filter = factory.create(parsed, own);
      if (filter == null) {
        throw new IllegalStateException(
            "plugin '" + name + "': create returned null (expected: a Filter)");
      }
      return new Made(name, filter, mode, phase, bodyAccess, replay, own);
    }

    private static String checkName(String name) {
      requireNonNull(name, "name");
      if (!PLUGIN_NAME.matcher(name).matches()) {
        throw new IllegalArgumentException(
            "plugin name: '"
                + name
                + "' (expected: lower case, digits and dashes, e.g. authn-jwt)");
      }
      return name;
    }

    private static void checkOrder(List<Made> chain) {
      for (int i = 0; i < chain.size(); i++) {
        for (int j = i + 1; j < chain.size(); j++) {
          Made earlier = chain.get(i);
          Made later = chain.get(j);
          if (!earlier.phase().mayPrecede(later.phase())) {
            throw new IllegalArgumentException(
                "chain order: '"
                    + earlier.name()
                    + "' ("
                    + earlier.phase()
                    + ") comes before '"
                    + later.name()
                    + "' ("
                    + later.phase()
                    + ") (expected: AUTHN, AUTHZ, RATE_LIMIT, FAULT, RETRY in that order)");
          }
        }
      }
    }
  }
}
