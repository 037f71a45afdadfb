package io.plugmesh.benchmarks.chain;

import io.plugmesh.filters.Filter;
import io.plugmesh.filters.HeadersFilter;
import io.plugmesh.filters.ProxyRequest;
import io.plugmesh.filters.ProxyResponse;
import io.plugmesh.filters.RequestDecision;
import io.plugmesh.filters.advanced.FilterMode;
import io.plugmesh.filters.internal.ChainRunner;
import io.plugmesh.filters.testkit.TestRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The cost the chain runner adds to one request: a chain of {@code filters} no-op filters in front
 * of an upstream whose response is already there, completions continuing inline (as they do on the
 * connection's event loop). {@code kind} is {@code around} (a {@link Filter} that just proceeds) or
 * {@code headers} (a {@link HeadersFilter} that continues). With 0 filters both kinds measure the
 * runner alone.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ChainRunnerBenchmark {

  /** Runs a completion on the calling thread, like an event loop already on its own thread. */
  private static final Executor INLINE = Runnable::run;

  private static final Filter AROUND = (request, chain) -> chain.proceed(request);

  private static final HeadersFilter HEADERS = request -> RequestDecision.proceed();

  /** How many no-op filters the chain holds. */
  @Param({"0", "1", "5"})
  public int filters;

  /** Which kind of no-op filter: {@code around} or {@code headers}. */
  @Param({"around", "headers"})
  public String kind;

  private ChainRunner runner;
  private ProxyRequest request;
  private ChainRunner.Terminal terminal;

  /** Builds the chain, the request and the completed upstream response. */
  @Setup(Level.Trial)
  public void setUp() {
    Filter filter =
        switch (kind) {
          case "around" -> AROUND;
          case "headers" -> HEADERS;
          default ->
              throw new IllegalArgumentException(
                  "kind: " + kind + " (expected: around or headers)");
        };
    List<ChainRunner.Link> links = new ArrayList<>(filters);
    for (int i = 0; i < filters; i++) {
      links.add(new ChainRunner.Link("noop-" + i, filter, FilterMode.ENFORCE, false));
    }
    runner = new ChainRunner(links);
    // The runner reads nothing of the request; the test kit's is as good as any (made once).
    request =
        TestRequest.get("/bench")
            .authority("bench.local")
            .header("user-agent", "jmh")
            .header("accept", "*/*")
            .toProxyRequest();
    CompletableFuture<ProxyResponse> upstream =
        CompletableFuture.completedFuture(new BenchResponse());
    terminal = r -> upstream;
    if (run() == null) {
      throw new IllegalStateException(
          "chain " + runner + " did not complete inline (expected: a response on this thread)");
    }
  }

  /**
   * Runs one request through the chain.
   *
   * @return the response, so the work is not optimised away
   */
  @Benchmark
  public ProxyResponse run() {
    CompletionStage<ProxyResponse> stage =
        runner.run(request, terminal, INLINE, ChainRunner.Observer.NONE);
    return stage.toCompletableFuture().getNow(null);
  }
}
