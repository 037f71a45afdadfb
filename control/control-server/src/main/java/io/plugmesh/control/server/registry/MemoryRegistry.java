package io.plugmesh.control.server.registry;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/** The single-node registry: registrations in memory, expired by a sweep every 100 ms. */
public final class MemoryRegistry implements ServiceRegistry {
  /** How often expired registrations are removed: 100 ms. */
  public static final long SWEEP_MILLIS = 100;

  private record Registration(Instance instance, long ttlNanos, long deadline) {}

  private final Map<String, Registration> byLease = new HashMap<>();
  private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
  private final LongSupplier nanoTime;
  private final ScheduledExecutorService sweeper;

  /** A registry on the system clock. */
  public MemoryRegistry() {
    this.nanoTime = System::nanoTime;
    this.sweeper =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "plugmesh-control-registry");
              t.setDaemon(true);
              return t;
            });
    sweeper.scheduleWithFixedDelay(this::sweep, SWEEP_MILLIS, SWEEP_MILLIS, TimeUnit.MILLISECONDS);
  }

  private void sweep() {
    boolean changed;
    synchronized (this) {
      long now = nanoTime.getAsLong();
      changed = byLease.values().removeIf(r -> now - r.deadline() > 0);
    }
    if (changed) {
      fire();
    }
  }

  private void fire() {
    listeners.forEach(Runnable::run);
  }

  @Override
  public String register(Instance instance, long ttlSeconds) {
    ServiceRegistry.check(instance, ttlSeconds);
    String lease;
    synchronized (this) {
      byLease
          .values()
          .removeIf(
              r ->
                  r.instance().service().equals(instance.service())
                      && r.instance().id().equals(instance.id()));
      if (byLease.size() >= MAX_INSTANCES) {
        throw new IllegalStateException(
            "registry full: " + MAX_INSTANCES + " instances (expected: fewer registrations)");
      }
      lease = UUID.randomUUID().toString();
      long ttl = TimeUnit.SECONDS.toNanos(ttlSeconds);
      byLease.put(lease, new Registration(instance, ttl, nanoTime.getAsLong() + ttl));
    }
    fire();
    return lease;
  }

  @Override
  public synchronized long heartbeat(String leaseId) {
    Registration r = byLease.get(leaseId);
    if (r == null) {
      throw new UnknownLeaseException(leaseId);
    }
    byLease.put(
        leaseId, new Registration(r.instance(), r.ttlNanos(), nanoTime.getAsLong() + r.ttlNanos()));
    return TimeUnit.NANOSECONDS.toSeconds(r.ttlNanos());
  }

  @Override
  public void deregister(String leaseId) {
    boolean removed;
    synchronized (this) {
      removed = byLease.remove(leaseId) != null;
    }
    if (removed) {
      fire();
    }
  }

  @Override
  public synchronized Map<String, List<Instance>> instances() {
    Map<String, List<Instance>> out = new TreeMap<>();
    for (Registration r : byLease.values()) {
      out.computeIfAbsent(r.instance().service(), s -> new ArrayList<>()).add(r.instance());
    }
    out.values().forEach(l -> l.sort(Comparator.comparing(Instance::id)));
    return out;
  }

  @Override
  public void watch(Runnable listener) {
    listeners.add(listener);
  }

  @Override
  public void close() {
    sweeper.shutdownNow();
  }
}
