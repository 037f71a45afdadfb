package io.plugmesh.control.server.store;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.support.CloseableClient;
import io.grpc.stub.StreamObserver;
import io.plugmesh.control.api.v1.PluginDescriptor;
import io.plugmesh.control.api.v1.ProxyStatus;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What control replicas share besides desired state and the registry: the plugin catalog ({@code
 * <prefix>/plugins/<name>}, kept) and each proxy's status ({@code <prefix>/status/<node>}, attached
 * to this replica's lease so it disappears when the replica dies).
 */
public final class EtcdMirror implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EtcdMirror.class);

  /** The replica lease's TTL: 10 s. */
  public static final long REPLICA_LEASE_SECONDS = 10;

  private static final long CALL_TIMEOUT_SECONDS = 5;

  private final Client client;
  private final String prefix;
  private final long lease;
  private final CloseableClient keepAlive;
  private final Map<String, ProxyStatus> pending = new LinkedHashMap<>();
  private final ExecutorService writer =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "plugmesh-control-etcd-mirror");
            t.setDaemon(true);
            return t;
          });

  /**
   * Grants this replica's lease and keeps it alive.
   *
   * @param client the etcd client (owned by the caller)
   * @param prefix the key prefix
   */
  public EtcdMirror(Client client, String prefix) {
    this.client = requireNonNull(client, "client");
    this.prefix = requireNonNull(prefix, "prefix");
    try {
      this.lease =
          client
              .getLeaseClient()
              .grant(REPLICA_LEASE_SECONDS)
              .get(CALL_TIMEOUT_SECONDS, TimeUnit.SECONDS)
              .getID();
    } catch (Exception e) {
      throw new StateStore.StoreException("etcd lease for this replica: " + e, e);
    }
    this.keepAlive =
        client
            .getLeaseClient()
            .keepAlive(
                lease,
                new StreamObserver<LeaseKeepAliveResponse>() {
                  @Override
                  public void onNext(LeaseKeepAliveResponse value) {}

                  @Override
                  public void onError(Throwable t) {
                    log.warn("replica lease keep-alive failed: {}", t.toString());
                  }

                  @Override
                  public void onCompleted() {}
                });
  }

  private static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }

  /**
   * Stores plugin descriptors for every replica.
   *
   * @param descriptors the descriptors
   */
  public void saveDescriptors(List<PluginDescriptor> descriptors) {
    for (PluginDescriptor d : descriptors) {
      try {
        client
            .getKVClient()
            .put(bytes(prefix + "/plugins/" + d.getName()), bytes(JsonFormat.printer().print(d)))
            .get(CALL_TIMEOUT_SECONDS, TimeUnit.SECONDS);
      } catch (Exception e) {
        log.warn("cannot store plugin '{}' in etcd: {}", d.getName(), e.toString());
      }
    }
  }

  /**
   * Reads every stored plugin descriptor.
   *
   * @return the descriptors
   */
  public List<PluginDescriptor> loadDescriptors() {
    List<PluginDescriptor> out = new ArrayList<>();
    for (KeyValue kv : list(prefix + "/plugins/")) {
      PluginDescriptor.Builder b = PluginDescriptor.newBuilder();
      try {
        JsonFormat.parser()
            .ignoringUnknownFields()
            .merge(kv.getValue().toString(StandardCharsets.UTF_8), b);
        out.add(b.build());
      } catch (InvalidProtocolBufferException e) {
        log.warn("ignoring malformed plugin descriptor {}", kv.getKey());
      }
    }
    return out;
  }

  /**
   * Publishes a proxy's status (asynchronously; only the newest per proxy is written).
   *
   * @param status the status
   */
  public void publish(ProxyStatus status) {
    boolean first;
    synchronized (pending) {
      first = pending.isEmpty();
      pending.put(status.getNodeId(), status);
    }
    if (first) {
      try {
        writer.execute(this::flush);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        // closing
      }
    }
  }

  private void flush() {
    List<ProxyStatus> batch;
    synchronized (pending) {
      batch = new ArrayList<>(pending.values());
      pending.clear();
    }
    for (ProxyStatus s : batch) {
      try {
        client
            .getKVClient()
            .put(
                bytes(prefix + "/status/" + s.getNodeId()),
                bytes(JsonFormat.printer().print(s)),
                PutOption.builder().withLeaseId(lease).build())
            .get(CALL_TIMEOUT_SECONDS, TimeUnit.SECONDS);
      } catch (Exception e) {
        log.debug("cannot publish status of {}: {}", s.getNodeId(), e.toString());
      }
    }
  }

  /**
   * Every proxy status published by any replica.
   *
   * @return the statuses
   */
  public List<ProxyStatus> statuses() {
    List<ProxyStatus> out = new ArrayList<>();
    for (KeyValue kv : list(prefix + "/status/")) {
      ProxyStatus.Builder b = ProxyStatus.newBuilder();
      try {
        JsonFormat.parser()
            .ignoringUnknownFields()
            .merge(kv.getValue().toString(StandardCharsets.UTF_8), b);
        out.add(b.build());
      } catch (InvalidProtocolBufferException e) {
        log.warn("ignoring malformed status {}", kv.getKey());
      }
    }
    return out;
  }

  private List<KeyValue> list(String keyPrefix) {
    try {
      return client
          .getKVClient()
          .get(bytes(keyPrefix), GetOption.builder().isPrefix(true).build())
          .get(CALL_TIMEOUT_SECONDS, TimeUnit.SECONDS)
          .getKvs();
    } catch (Exception e) {
      log.warn("cannot read {} from etcd: {}", keyPrefix, e.toString());
      return List.of();
    }
  }

  @Override
  public void close() {
    writer.shutdownNow();
    keepAlive.close();
    try {
      client.getLeaseClient().revoke(lease).get(1, TimeUnit.SECONDS);
    } catch (Exception e) {
      log.debug("revoking the replica lease: {}", e.toString());
    }
  }
}
