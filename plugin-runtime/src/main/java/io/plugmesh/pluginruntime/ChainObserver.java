package io.plugmesh.pluginruntime;

import static java.util.Objects.requireNonNull;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.plugmesh.filters.internal.ChainRunner;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts every filter decision of one route's chain ({@code <prefix>_plugin_decisions_total}),
 * times it ({@code <prefix>_plugin_duration_seconds}) and logs failures, rate-limited.
 */
final class ChainObserver implements ChainRunner.Observer {
  private static final Logger log = LoggerFactory.getLogger(ChainObserver.class);

  /** Histogram buckets of the per-call plugin time: filters should take micro- to milliseconds. */
  static final Duration[] DURATION_BUCKETS = {
    Duration.ofNanos(100_000),
    Duration.ofNanos(500_000),
    Duration.ofMillis(1),
    Duration.ofMillis(5),
    Duration.ofMillis(10),
    Duration.ofMillis(50),
    Duration.ofMillis(100),
    Duration.ofMillis(500),
    Duration.ofSeconds(1)
  };

  private static final ChainRunner.Decision[] DECISIONS = ChainRunner.Decision.values();

  private final String route;
  private final Counter[][] decisions;
  private final Timer[] durations;
  private final CauseLog errorLog;

  ChainObserver(
      String route,
      List<ChainRunner.Link> links,
      MeterRegistry registry,
      String prefix,
      CauseLog errorLog) {
    this.route = requireNonNull(route, "route");
    this.errorLog = requireNonNull(errorLog, "errorLog");
    decisions = new Counter[links.size()][DECISIONS.length];
    durations = new Timer[links.size()];
    for (int i = 0; i < links.size(); i++) {
      String plugin = links.get(i).name();
      for (ChainRunner.Decision decision : DECISIONS) {
        decisions[i][decision.ordinal()] =
            Counter.builder(prefix + ".plugin.decisions")
                .description(
                    "Plugin filter decisions per route: continue, respond (answered itself),"
                        + " error (failed) or shadow (would have answered)")
                .tags("route", route, "plugin", plugin, "decision", label(decision))
                .register(registry);
      }
      durations[i] =
          Timer.builder(prefix + ".plugin.duration")
              .description("Time spent in one plugin filter call, excluding the rest of the chain")
              .tags("route", route, "plugin", plugin)
              .serviceLevelObjectives(DURATION_BUCKETS)
              .register(registry);
    }
  }

  static String label(ChainRunner.Decision decision) {
    return decision.name().toLowerCase(Locale.ROOT);
  }

  @Override
  public void onDecision(
      int index,
      ChainRunner.Link link,
      ChainRunner.Decision decision,
      long selfNanos,
      Throwable e) {
    if (index < 0 || index >= durations.length) {
      return;
    }
    decisions[index][decision.ordinal()].increment();
    durations[index].record(Math.max(0, selfNanos), TimeUnit.NANOSECONDS);
    if (decision == ChainRunner.Decision.ERROR) {
      errorLog.warn(
          log,
          "plugin-failure",
          e,
          "route '{}': plugin '{}' failed: {}",
          route,
          link.name(),
          e == null ? "unknown error" : e.getMessage());
    }
  }
}
