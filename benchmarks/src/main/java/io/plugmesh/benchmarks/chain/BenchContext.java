package io.plugmesh.benchmarks.chain;

import io.plugmesh.filters.ContextKey;
import io.plugmesh.filters.RequestContext;
import io.plugmesh.filters.ResponseFlag;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/** A minimal request context backed by a hash map. */
final class BenchContext implements RequestContext {
  private final Map<ContextKey<?>, Object> attributes = new HashMap<>();
  private final EnumSet<ResponseFlag> flags = EnumSet.noneOf(ResponseFlag.class);

  @Override
  public <T> Optional<T> get(ContextKey<T> key) {
    return Optional.ofNullable(key.type().cast(attributes.get(key)));
  }

  @Override
  public <T> void put(ContextKey<T> key, T value) {
    attributes.put(key, value);
  }

  @Override
  public String requestId() {
    return "bench-1";
  }

  @Override
  public String routeName() {
    return "bench";
  }

  @Override
  public void addResponseFlag(ResponseFlag flag) {
    flags.add(flag);
  }
}
