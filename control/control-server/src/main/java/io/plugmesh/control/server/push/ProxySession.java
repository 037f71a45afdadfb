package io.plugmesh.control.server.push;

import io.grpc.stub.ServerCallStreamObserver;
import io.plugmesh.control.api.ResourceSet;
import io.plugmesh.control.api.v1.Ack;
import io.plugmesh.control.api.v1.ControlMessage;
import io.plugmesh.control.api.v1.Hello;
import io.plugmesh.control.api.v1.Nack;
import io.plugmesh.control.api.v1.PluginDescriptor;
import io.plugmesh.control.api.v1.Snapshot;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * One connected proxy's stream. At most one snapshot is in flight: changes that arrive meanwhile
 * are coalesced and the newest is sent after the ACK or NACK, as a delta against what the proxy
 * acknowledged. A version the proxy rejected is not sent again.
 */
final class ProxySession {
  private final Hello hello;
  private final Set<String> plugins = new TreeSet<>();
  private final ServerCallStreamObserver<ControlMessage> out;
  private final StatusBook status;
  private final Supplier<String> nonces;
  private final String group;
  private ResourceSet acked;
  private ResourceSet inflight;
  private String inflightNonce;
  private ResourceSet desired;
  private String rejectedVersion;
  private boolean closed;

  ProxySession(
      Hello hello,
      ServerCallStreamObserver<ControlMessage> out,
      StatusBook status,
      Supplier<String> nonces) {
    this.hello = hello;
    this.out = out;
    this.status = status;
    this.nonces = nonces;
    for (PluginDescriptor d : hello.getPluginsList()) {
      plugins.add(d.getName());
    }
    this.group = hello.getService() + "|" + new TreeMap<>(hello.getLabelsMap()) + "|" + plugins;
  }

  String node() {
    return hello.getNodeId();
  }

  Hello hello() {
    return hello;
  }

  Set<String> plugins() {
    return plugins;
  }

  Map<String, String> labels() {
    return hello.getLabelsMap();
  }

  /** Proxies with equal service, labels and plugins get the same config and checks. */
  String group() {
    return group;
  }

  synchronized ResourceSet desired() {
    return desired;
  }

  synchronized void offer(ResourceSet set) {
    desired = set;
    maybeSend();
  }

  synchronized void onAck(Ack ack) {
    if (inflight == null || !ack.getNonce().equals(inflightNonce)) {
      return;
    }
    acked = inflight;
    inflight = null;
    status.acked(node(), ack.getVersion());
    maybeSend();
  }

  synchronized void onNack(Nack nack) {
    if (inflight == null || !nack.getNonce().equals(inflightNonce)) {
      return;
    }
    rejectedVersion = inflight.version();
    inflight = null;
    status.nacked(node(), nack.getVersion(), nack.getMessage(), nack.getProblemsList());
    maybeSend();
  }

  synchronized void close() {
    closed = true;
  }

  private void maybeSend() {
    if (closed || inflight != null || desired == null) {
      return;
    }
    if (acked != null && desired.version().equals(acked.version())) {
      return;
    }
    if (desired.version().equals(rejectedVersion)) {
      return;
    }
    String nonce = nonces.get();
    Snapshot snapshot;
    if (acked != null) {
      snapshot = desired.deltaFrom(acked, nonce);
    } else if (desired.version().equals(hello.getAppliedVersion())) {
      // the proxy already serves this content (restart, or failover from another replica)
      snapshot = desired.deltaFrom(desired, nonce);
    } else {
      snapshot = desired.full(nonce);
    }
    inflight = desired;
    inflightNonce = nonce;
    status.sent(node(), desired.version());
    try {
      out.onNext(ControlMessage.newBuilder().setSnapshot(snapshot).build());
    } catch (RuntimeException e) {
      closed = true;
    }
  }
}
