package io.plugmesh.plugins.fault;

import static java.util.Objects.requireNonNull;

import io.plugmesh.filters.ConfigNode;
import io.plugmesh.filters.Filter;
import io.plugmesh.filters.FilterFactory;
import io.plugmesh.filters.FilterServices;
import io.plugmesh.filters.Phase;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.DoubleSupplier;
import org.pf4j.Extension;

/**
 * The {@code fault} plugin: injects fixed delays and aborts (an HTTP status, or a {@code
 * grpc-status} for gRPC requests) into a share of a route's requests, optionally only for requests
 * carrying given headers, with a cap on faults in progress at once.
 */
@Extension
public final class FaultFilterFactory implements FilterFactory<FaultConfig> {

  /** The plugin name used in route config. */
  public static final String NAME = "fault";

  private final DoubleSupplier random;

  /** Creates the factory, drawing percentages from {@link ThreadLocalRandom}. */
  public FaultFilterFactory() {
    this(() -> ThreadLocalRandom.current().nextDouble());
  }

  /**
   * Creates the factory with a chosen source of draws, for tests.
   *
   * @param random uniform draws in [0, 1)
   */
  FaultFilterFactory(DoubleSupplier random) {
    this.random = requireNonNull(random, "random");
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Phase phase() {
    return Phase.FAULT;
  }

  @Override
  public FaultConfig parseConfig(ConfigNode config) {
    return FaultConfig.parse(config);
  }

  @Override
  public Filter create(FaultConfig config, FilterServices services) {
    AtomicInteger active =
        services.shared(
            "active-faults:" + services.routeName(), AtomicInteger.class, AtomicInteger::new);
    return new FaultFilter(config, services, random, active);
  }
}
