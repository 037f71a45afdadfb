package io.plugmesh.benchmarks.metrics;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.plugmesh.kernel.observe.ProxyMetrics;
import io.plugmesh.kernel.observe.RequestLog;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The cost of counting one finished request in the request metrics ({@link ProxyMetrics#record}):
 * finding the label set's meters and recording the counter and the three histograms. {@code routes}
 * requests of as many routes alternate, as on a proxy serving several routes.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ProxyMetricsBenchmark {

  /** How many routes the recorded requests alternate between. */
  @Param({"1", "8"})
  public int routes;

  private PrometheusMeterRegistry registry;
  private ProxyMetrics metrics;
  private RequestLog[] logs;
  private int next;

  /** Builds the metrics and one record per route, as the access-log-off data path does. */
  @Setup
  public void setUp() {
    registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    metrics = new ProxyMetrics(registry, ProxyMetrics.DEFAULT_PREFIX);
    logs = new RequestLog[routes];
    for (int i = 0; i < routes; i++) {
      logs[i] =
          new RequestLog(
              Instant.EPOCH,
              null,
              null,
              "HTTP/1.1",
              200,
              Set.of(),
              0,
              200,
              450_000,
              300_000,
              null,
              null,
              null,
              null,
              null,
              "route-" + i,
              "cluster-" + i,
              null,
              null,
              null,
              "bench");
    }
  }

  /** Closes the registry. */
  @TearDown
  public void tearDown() {
    registry.close();
  }

  /** Records one request. */
  @Benchmark
  public void record() {
    metrics.record(logs[next]);
    next = next + 1 == logs.length ? 0 : next + 1;
  }
}
