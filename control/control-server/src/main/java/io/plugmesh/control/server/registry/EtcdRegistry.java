package io.plugmesh.control.server.registry;

import static java.util.Objects.requireNonNull;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import io.plugmesh.control.server.store.Documents;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The registry in etcd: each instance is a key {@code <prefix>/registry/<service>/<id>} attached to
 * an etcd lease with the instance's TTL; a heartbeat keeps the lease alive, and etcd deletes the
 * key when it expires. Every replica watches the prefix, so any replica serves any instance.
 */
public final class EtcdRegistry implements ServiceRegistry {
  private static final Logger log = LoggerFactory.getLogger(EtcdRegistry.class);

  private static final long CALL_TIMEOUT_SECONDS = 5;
  private static final long REWATCH_DELAY_MILLIS = 500;

  private final Client client;
  private final String prefix;
  private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
  private final ExecutorService notifier =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "plugmesh-control-etcd-registry");
            t.setDaemon(true);
            return t;
          });
  private final AtomicBoolean reloadQueued = new AtomicBoolean();
  private volatile Map<String, List<Instance>> instances = Map.of();
  private volatile Watch.Watcher watcher;
  private volatile boolean closed;

  /**
   * Starts watching the registry prefix.
   *
   * @param client the etcd client (owned by the caller)
   * @param prefix the key prefix, e.g. {@code /plugmesh}
   */
  public EtcdRegistry(Client client, String prefix) {
    this.client = requireNonNull(client, "client");
    this.prefix = requireNonNull(prefix, "prefix") + "/registry/";
    long revision = reload();
    startWatch(revision + 1);
  }

  private static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }

  private long reload() {
    GetResponse response;
    try {
      response =
          client
              .getKVClient()
              .get(bytes(prefix), GetOption.builder().isPrefix(true).build())
              .get(CALL_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("etcd registry cannot be read: " + e, e);
    }
    Map<String, List<Instance>> out = new TreeMap<>();
    for (KeyValue kv : response.getKvs()) {
      String key = kv.getKey().toString(StandardCharsets.UTF_8).substring(prefix.length());
      int slash = key.indexOf('/');
      if (slash < 0) {
        continue;
      }
      try {
        Object value = Documents.fromJson(kv.getValue().toString(StandardCharsets.UTF_8));
        if (value instanceof Map<?, ?> m) {
          String service = key.substring(0, slash);
          int weight = m.get("weight") instanceof Number n ? n.intValue() : 1;
          out.computeIfAbsent(service, s -> new ArrayList<>())
              .add(
                  new Instance(
                      service, key.substring(slash + 1), String.valueOf(m.get("address")), weight));
        }
      } catch (RuntimeException e) {
        log.warn("ignoring malformed registry key {}: {}", key, e.toString());
      }
    }
    out.values().forEach(l -> l.sort(Comparator.comparing(Instance::id)));
    instances = out;
    return response.getHeader().getRevision();
  }

  private void startWatch(long fromRevision) {
    if (closed) {
      return;
    }
    watcher =
        client
            .getWatchClient()
            .watch(
                bytes(prefix),
                WatchOption.builder().isPrefix(true).withRevision(fromRevision).build(),
                Watch.listener(
                    response -> queueReload(),
                    error -> {
                      if (!closed) {
                        log.warn("etcd registry watch failed: {}", error.toString());
                        notifier.execute(this::rewatch);
                      }
                    }));
  }

  private void rewatch() {
    try {
      Thread.sleep(REWATCH_DELAY_MILLIS);
      startWatch(reload() + 1);
      listeners.forEach(Runnable::run);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      if (!closed) {
        notifier.execute(this::rewatch);
      }
    }
  }

  private void queueReload() {
    if (reloadQueued.compareAndSet(false, true)) {
      notifier.execute(
          () -> {
            reloadQueued.set(false);
            try {
              reload();
              listeners.forEach(Runnable::run);
            } catch (RuntimeException e) {
              log.warn("reloading the registry from etcd failed: {}", e.toString());
            }
          });
    }
  }

  @Override
  public String register(Instance instance, long ttlSeconds) {
    ServiceRegistry.check(instance, ttlSeconds);
    try {
      long lease =
          client
              .getLeaseClient()
              .grant(ttlSeconds)
              .get(CALL_TIMEOUT_SECONDS, TimeUnit.SECONDS)
              .getID();
      Map<String, Object> value = new LinkedHashMap<>();
      value.put("address", instance.address());
      value.put("weight", instance.weight());
      client
          .getKVClient()
          .put(
              bytes(prefix + instance.service() + "/" + instance.id()),
              bytes(Documents.json(value)),
              PutOption.builder().withLeaseId(lease).build())
          .get(CALL_TIMEOUT_SECONDS, TimeUnit.SECONDS);
      return Long.toHexString(lease);
    } catch (Exception e) {
      throw new IllegalStateException("etcd registration failed: " + e, e);
    }
  }

  @Override
  public long heartbeat(String leaseId) {
    long lease = parse(leaseId);
    try {
      LeaseKeepAliveResponse r =
          client.getLeaseClient().keepAliveOnce(lease).get(CALL_TIMEOUT_SECONDS, TimeUnit.SECONDS);
      if (r.getTTL() <= 0) {
        throw new UnknownLeaseException(leaseId);
      }
      return r.getTTL();
    } catch (ExecutionException e) {
      String message = String.valueOf(e.getCause().getMessage()).toLowerCase(java.util.Locale.ROOT);
      if (message.contains("not found")) {
        throw new UnknownLeaseException(leaseId);
      }
      throw new IllegalStateException("etcd heartbeat failed: " + e.getCause(), e);
    } catch (UnknownLeaseException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException("etcd heartbeat failed: " + e, e);
    }
  }

  @Override
  public void deregister(String leaseId) {
    long lease = parse(leaseId);
    try {
      client.getLeaseClient().revoke(lease).get(CALL_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      log.debug("revoking lease {}: {}", leaseId, e.getCause().toString());
    } catch (Exception e) {
      throw new IllegalStateException("etcd deregistration failed: " + e, e);
    }
  }

  private static long parse(String leaseId) {
    try {
      return Long.parseUnsignedLong(leaseId, 16);
    } catch (NumberFormatException e) {
      throw new UnknownLeaseException(leaseId);
    }
  }

  @Override
  public Map<String, List<Instance>> instances() {
    return instances;
  }

  @Override
  public void watch(Runnable listener) {
    listeners.add(listener);
  }

  @Override
  public void close() {
    closed = true;
    Watch.Watcher w = watcher;
    if (w != null) {
      w.close();
    }
    notifier.shutdownNow();
  }
}
