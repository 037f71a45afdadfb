package io.plugmesh.control.server.push;

import io.plugmesh.control.api.v1.Problem;
import io.plugmesh.control.api.v1.ProxyStatus;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Per proxy: the version sent, acknowledged or rejected and when, and the last rejection's
 * problems. Disconnected proxies are kept (the oldest dropped beyond {@link #MAX_PROXIES}).
 */
public final class StatusBook {
  /** The most proxies remembered: 10,000. */
  public static final int MAX_PROXIES = 10_000;

  private final String replica;
  private final Map<String, ProxyStatus> byNode = new LinkedHashMap<>();
  private volatile Consumer<ProxyStatus> mirror = s -> {};

  /**
   * A book for one replica.
   *
   * @param replica this replica's name
   */
  public StatusBook(String replica) {
    this.replica = replica;
  }

  /**
   * Where every change is also sent (etcd, so any replica can answer status for every proxy).
   *
   * @param mirror the consumer
   */
  public void mirrorTo(Consumer<ProxyStatus> mirror) {
    this.mirror = mirror;
  }

  private void update(String node, java.util.function.UnaryOperator<ProxyStatus.Builder> change) {
    ProxyStatus next;
    synchronized (this) {
      ProxyStatus prev = byNode.remove(node);
      ProxyStatus.Builder b =
          prev == null ? ProxyStatus.newBuilder().setNodeId(node) : prev.toBuilder();
      next = change.apply(b.setReplica(replica)).build();
      byNode.put(node, next);
      if (byNode.size() > MAX_PROXIES) {
        byNode.values().stream()
            .filter(s -> !s.getConnected())
            .findFirst()
            .ifPresent(s -> byNode.remove(s.getNodeId()));
      }
    }
    mirror.accept(next);
  }

  void connected(String node, String service, Map<String, String> labels) {
    update(node, b -> b.setConnected(true).setService(service).clearLabels().putAllLabels(labels));
  }

  void disconnected(String node) {
    update(node, b -> b.setConnected(false));
  }

  void sent(String node, String version) {
    update(node, b -> b.setSentVersion(version).setSentAtMillis(System.currentTimeMillis()));
  }

  void acked(String node, String version) {
    update(
        node,
        b ->
            b.setAckedVersion(version)
                .setAckedAtMillis(System.currentTimeMillis())
                .setError("")
                .clearProblems());
  }

  void nacked(String node, String version, String error, List<Problem> problems) {
    update(
        node,
        b ->
            b.setNackedVersion(version)
                .setNackedAtMillis(System.currentTimeMillis())
                .setError(error)
                .clearProblems()
                .addAllProblems(problems));
  }

  void pending(String node, String error) {
    update(node, b -> b.setPendingError(error == null ? "" : error));
  }

  /**
   * One proxy's status.
   *
   * @param node the node id
   * @return the status, or null
   */
  public synchronized ProxyStatus get(String node) {
    return byNode.get(node);
  }

  /**
   * Every proxy's status, by node id.
   *
   * @return the statuses
   */
  public synchronized List<ProxyStatus> all() {
    List<ProxyStatus> out = new ArrayList<>(byNode.values());
    out.sort(Comparator.comparing(ProxyStatus::getNodeId));
    return out;
  }
}
