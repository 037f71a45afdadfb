package io.plugmesh.control.server.testing;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import io.plugmesh.control.api.ResourceSet;
import io.plugmesh.control.api.v1.Ack;
import io.plugmesh.control.api.v1.ControlMessage;
import io.plugmesh.control.api.v1.ControlPlaneGrpc;
import io.plugmesh.control.api.v1.Hello;
import io.plugmesh.control.api.v1.PluginDescriptor;
import io.plugmesh.control.api.v1.ProxyMessage;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A proxy reduced to its protocol: says hello, applies each snapshot to its resource set, checks
 * the version, and answers ACK. It does not read the config model (the kernel's {@code
 * ControlClient} does), so a test can connect many proxies to one control service without a kernel
 * each.
 */
public final class StreamProxy implements AutoCloseable {
  private final ManagedChannel channel;
  private final StreamObserver<ProxyMessage> out;
  private volatile ResourceSet current = ResourceSet.EMPTY;

  /** Connects and says hello. */
  public StreamProxy(String target, String node, String service, List<PluginDescriptor> plugins) {
    channel =
        Grpc.newChannelBuilder(target, InsecureChannelCredentials.create())
            .maxInboundMessageSize(64 * 1024 * 1024)
            .build();
    Object lock = new Object();
    AtomicReference<StreamObserver<ProxyMessage>> holder = new AtomicReference<>();
    holder.set(
        ControlPlaneGrpc.newStub(channel).stream(
            new StreamObserver<>() {
              @Override
              public void onNext(ControlMessage m) {
                ResourceSet next = current.apply(m.getSnapshot());
                if (!next.version().equals(m.getSnapshot().getVersion())) {
                  throw new IllegalStateException("version mismatch");
                }
                current = next;
                synchronized (lock) {
                  holder
                      .get()
                      .onNext(
                          ProxyMessage.newBuilder()
                              .setAck(
                                  Ack.newBuilder()
                                      .setVersion(m.getSnapshot().getVersion())
                                      .setNonce(m.getSnapshot().getNonce()))
                              .build());
                }
              }

              @Override
              public void onError(Throwable t) {}

              @Override
              public void onCompleted() {}
            }));
    out = holder.get();
    synchronized (lock) {
      out.onNext(
          ProxyMessage.newBuilder()
              .setHello(
                  Hello.newBuilder().setNodeId(node).setService(service).addAllPlugins(plugins))
              .build());
    }
  }

  /** The applied version. */
  public String version() {
    return current.version();
  }

  @Override
  public void close() {
    channel.shutdownNow();
    try {
      channel.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
