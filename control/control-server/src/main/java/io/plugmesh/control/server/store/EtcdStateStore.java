package io.plugmesh.control.server.store;

import static java.util.Objects.requireNonNull;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Desired state in etcd, shared by control replicas: one key per resource, {@code
 * <prefix>/desired/<kind>/<name>}, holding {@code {"seq": n, "resource": {...}}}. Writes are one
 * transaction; every replica watches the prefix and reloads on any change.
 */
public final class EtcdStateStore implements StateStore {
  private static final Logger log = LoggerFactory.getLogger(EtcdStateStore.class);

  /** How long an etcd call may take before the store reports it unreachable: 5 s. */
  public static final long CALL_TIMEOUT_SECONDS = 5;

  /** Delay before watching again after the watch failed: 500 ms. */
  public static final long REWATCH_DELAY_MILLIS = 500;

  private final Client client;
  private final String prefix;
  private final String endpoints;
  private final List<Consumer<DesiredState>> listeners = new CopyOnWriteArrayList<>();
  private final ExecutorService notifier =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "plugmesh-control-etcd-watch");
            t.setDaemon(true);
            return t;
          });
  private final AtomicBoolean reloadQueued = new AtomicBoolean();
  private volatile Watch.Watcher watcher;
  private volatile boolean closed;

  /**
   * Connects a store to an etcd client.
   *
   * @param client the client (owned by the caller)
   * @param endpoints the endpoints, for logs
   * @param prefix the key prefix, e.g. {@code /plugmesh}
   */
  public EtcdStateStore(Client client, String endpoints, String prefix) {
    this.client = requireNonNull(client, "client");
    this.endpoints = requireNonNull(endpoints, "endpoints");
    this.prefix = requireNonNull(prefix, "prefix") + "/desired/";
  }

  private static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }

  private String key(Kind kind, String name) {
    return prefix + kind.singular() + "/" + name;
  }

  @Override
  public DesiredState load() {
    GetResponse response;
    try {
      response =
          client
              .getKVClient()
              .get(bytes(prefix), GetOption.builder().isPrefix(true).build())
              .get(CALL_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new StoreException("etcd " + endpoints + " cannot be read: " + e, e);
    }
    List<Resource> all = new ArrayList<>();
    for (KeyValue kv : response.getKvs()) {
      String key = kv.getKey().toString(StandardCharsets.UTF_8).substring(prefix.length());
      int slash = key.indexOf('/');
      if (slash < 0) {
        continue;
      }
      try {
        Kind kind = Kind.parse(key.substring(0, slash));
        Object value = Documents.fromJson(kv.getValue().toString(StandardCharsets.UTF_8));
        if (value instanceof Map<?, ?> m && m.get("resource") instanceof Map<?, ?> tree) {
          long seq = m.get("seq") instanceof Number n ? n.longValue() : kv.getCreateRevision();
          @SuppressWarnings("unchecked")
          Map<String, Object> t = new LinkedHashMap<>((Map<String, Object>) tree);
          all.add(new Resource(kind, key.substring(slash + 1), t, seq));
        }
      } catch (RuntimeException e) {
        log.warn("ignoring malformed etcd key {}: {}", key, e.toString());
      }
    }
    return DesiredState.of(response.getHeader().getRevision(), all);
  }

  @Override
  public long write(List<Resource> puts, List<Resource.Key> deletes) {
    List<Op> ops = new ArrayList<>();
    for (Resource.Key k : deletes) {
      ops.add(Op.delete(bytes(key(k.kind(), k.name())), DeleteOption.DEFAULT));
    }
    for (Resource r : puts) {
      Map<String, Object> value = new LinkedHashMap<>();
      value.put("seq", r.seq());
      value.put("resource", r.tree());
      ops.add(
          Op.put(bytes(key(r.kind(), r.name())), bytes(Documents.json(value)), PutOption.DEFAULT));
    }
    try {
      return client
          .getKVClient()
          .txn()
          .Then(ops.toArray(Op[]::new))
          .commit()
          .get(CALL_TIMEOUT_SECONDS, TimeUnit.SECONDS)
          .getHeader()
          .getRevision();
    } catch (Exception e) {
      throw new StoreException("etcd " + endpoints + " refused the write: " + e, e);
    }
  }

  @Override
  public void watch(Consumer<DesiredState> listener) {
    listeners.add(requireNonNull(listener, "listener"));
    synchronized (this) {
      if (watcher == null) {
        startWatch(load().revision() + 1);
      }
    }
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
                        log.warn("etcd watch on {} failed: {}", prefix, error.toString());
                        notifier.execute(this::rewatch);
                      }
                    }));
  }

  private void rewatch() {
    try {
      Thread.sleep(REWATCH_DELAY_MILLIS);
      long revision = load().revision();
      synchronized (this) {
        startWatch(revision + 1);
      }
      queueReload();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      if (!closed) {
        notifier.execute(this::rewatch);
      }
    }
  }

  /** Coalesces bursts of events into one reload. */
  private void queueReload() {
    if (reloadQueued.compareAndSet(false, true)) {
      notifier.execute(
          () -> {
            reloadQueued.set(false);
            try {
              DesiredState state = load();
              listeners.forEach(l -> l.accept(state));
            } catch (RuntimeException e) {
              log.warn("reloading desired state from etcd failed: {}", e.toString());
            }
          });
    }
  }

  @Override
  public String describe() {
    return "etcd " + endpoints + " (prefix " + prefix + ")";
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
