package io.plugmesh.plugins.retry;

import static java.util.Objects.requireNonNull;

import io.plugmesh.filters.ConfigNode;
import io.plugmesh.filters.Filter;
import io.plugmesh.filters.FilterFactory;
import io.plugmesh.filters.FilterServices;
import io.plugmesh.filters.Phase;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;
import org.pf4j.Extension;

/**
 * The {@code retry} plugin: sends a failed request again on chosen conditions, with a per-try
 * timeout, exponential backoff with jitter, {@code Retry-After}, a per-route retry budget and
 * request-body replay up to a limit. Belongs last in a chain, so every attempt is one upstream
 * call.
 */
@Extension
public final class RetryFilterFactory implements FilterFactory<RetryConfig> {

  /** The plugin name used in route config. */
  public static final String NAME = "retry";

  private final DoubleSupplier random;

  /** Creates the factory, drawing jitter from {@link ThreadLocalRandom}. */
  public RetryFilterFactory() {
    this(() -> ThreadLocalRandom.current().nextDouble());
  }

  /**
   * Creates the factory with a chosen source of jitter, for tests.
   *
   * @param random uniform draws in [0, 1)
   */
  RetryFilterFactory(DoubleSupplier random) {
    this.random = requireNonNull(random, "random");
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Phase phase() {
    return Phase.RETRY;
  }

  @Override
  public RetryConfig parseConfig(ConfigNode config) {
    return RetryConfig.parse(config);
  }

  /** Keeps request bodies up to {@code maxReplayBytes} so attempts can send them again. */
  @Override
  public int replay(RetryConfig config) {
    return config.maxReplayBytes();
  }

  @Override
  public Filter create(RetryConfig config, FilterServices services) {
    // Shared per route (and budget settings), so a config push does not refill the budget.
    RetryBudget budget =
        services.shared(
            "budget:" + services.routeName() + ":" + config.budget(),
            RetryBudget.class,
            () -> new RetryBudget(config.budget()));
    return new RetryFilter(config, services, budget, random);
  }
}
