package io.plugmesh.kernel.control;

import static java.util.Objects.requireNonNull;

import dev.failsafe.Failsafe;
import dev.failsafe.FailsafeException;
import dev.failsafe.RetryPolicy;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.TlsChannelCredentials;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.plugmesh.config.ConfigError;
import io.plugmesh.control.api.PluginDescriptors;
import io.plugmesh.control.api.ResourceSet;
import io.plugmesh.control.api.v1.Ack;
import io.plugmesh.control.api.v1.ControlMessage;
import io.plugmesh.control.api.v1.ControlPlaneGrpc;
import io.plugmesh.control.api.v1.Hello;
import io.plugmesh.control.api.v1.Nack;
import io.plugmesh.control.api.v1.Problem;
import io.plugmesh.control.api.v1.ProxyMessage;
import io.plugmesh.control.api.v1.Snapshot;
import io.plugmesh.kernel.runtime.Kernel;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The proxy's side of the control stream: says hello (node, service, labels, plugins with their
 * phase and schema), applies each snapshot atomically through {@link Kernel#apply} and answers ACK,
 * or NACK with every problem when the kernel rejects it (then nothing changes). Reconnects with
 * exponential backoff and jitter, trying the replicas in turn; while no control service answers,
 * the last good config keeps serving and {@code /ready} reports it stale. The last good config is
 * persisted so a restart without the control service serves it.
 */
public final class ControlClient implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ControlClient.class);

  /** The source name in config errors of snapshots. */
  public static final String SOURCE = "control stream";

  /** Jitter applied to each reconnect delay: +/- 25%. */
  public static final double BACKOFF_JITTER = 0.25;

  /** How often an idle stream is pinged to notice a dead control service: 10 s. */
  public static final long KEEPALIVE_SECONDS = 10;

  /** The largest snapshot accepted from the control service: 64 MiB. */
  public static final int MAX_SNAPSHOT_BYTES = 64 * 1024 * 1024;

  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private final Kernel kernel;
  private final ControlSettings settings;
  private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();
  private final AtomicReference<ClientCallStreamObserver<ProxyMessage>> call =
      new AtomicReference<>();
  private final Thread thread;
  private volatile boolean closed;
  private volatile boolean connected;
  private volatile ResourceSet current = ResourceSet.EMPTY;
  private volatile boolean applied;
  private long attempts;
  private volatile WorkloadCertificates certificates;
  private volatile CertificateSettings certificateSettings;

  private ControlClient(Kernel kernel, ControlSettings settings) {
    this.kernel = requireNonNull(kernel, "kernel");
    this.settings = requireNonNull(settings, "settings");
    this.thread = new Thread(this::run, "plugmesh-control-client");
    this.thread.setDaemon(true);
  }

  /**
   * Serves the persisted config (if any, marked stale) and starts connecting.
   *
   * @param kernel the proxy to configure
   * @param settings where the control service is and who this proxy is
   * @return the running client
   */
  public static ControlClient start(Kernel kernel, ControlSettings settings) {
    ControlClient client = new ControlClient(kernel, settings);
    client.restore();
    client.thread.start();
    return client;
  }

  /**
   * Like {@link #start(Kernel, ControlSettings)}, and keeps a workload certificate from the control
   * service's CA in {@code certificates.dir()}: a proxy gets a certificate before its first config
   * (so TLS config pointing at the files applies), renews it at half its lifetime, and keeps the
   * last one while the control service is away. The join token is {@link ControlSettings#token()}.
   *
   * @param kernel the proxy to configure
   * @param settings where the control service is and who this proxy is
   * @param certificates where the certificate files go and the identity to ask for
   * @return the running client
   * @throws IOException when the certificate folder cannot be created
   */
  public static ControlClient start(
      Kernel kernel, ControlSettings settings, CertificateSettings certificates)
      throws IOException {
    ControlClient client = new ControlClient(kernel, settings);
    client.certificateSettings = certificates;
    client.certificates =
        WorkloadCertificates.start(client::nextChannel, settings.token(), certificates);
    client.restore();
    client.thread.start();
    return client;
  }

  /**
   * The workload certificate keeper.
   *
   * @return it, or null when this client keeps no certificate
   */
  public WorkloadCertificates certificates() {
    return certificates;
  }

  private ManagedChannel nextChannel() {
    List<String> servers = settings.servers();
    String target = servers.get((int) (Math.floorMod(attempts, servers.size())));
    return channels.computeIfAbsent(target, this::channel);
  }

  private void restore() {
    if (settings.stateDir() == null) {
      kernel.stale("waiting for the control service");
      return;
    }
    Optional<Snapshot> saved;
    try {
      saved = PersistedSnapshot.load(settings.stateDir());
    } catch (IOException | RuntimeException e) {
      log.warn("cannot read the persisted config in {}: {}", settings.stateDir(), e.toString());
      kernel.stale("waiting for the control service");
      return;
    }
    if (saved.isEmpty()) {
      kernel.stale("waiting for the control service");
      return;
    }
    try {
      ResourceSet set = ResourceSet.EMPTY.apply(saved.get());
      kernel.apply(set.config("persisted config"));
      current = set;
      applied = true;
      kernel.stale(
          "serving persisted config version "
              + set.version()
              + "; the control service has not answered yet");
      log.info("serving persisted control config version {}", set.version());
    } catch (RuntimeException e) {
      log.warn(
          "the persisted config in {} cannot be applied: {}", settings.stateDir(), e.getMessage());
      kernel.stale("waiting for the control service");
    }
  }

  /**
   * The control version applied now.
   *
   * @return the version, or empty before any config
   */
  public String appliedVersion() {
    return applied ? current.version() : "";
  }

  /**
   * Whether a stream to a control replica is open and has delivered config.
   *
   * @return true when connected
   */
  public boolean connected() {
    return connected;
  }

  private void run() {
    RetryPolicy<Object> retry =
        RetryPolicy.builder()
            .handle(Exception.class)
            .abortOn(ClosedException.class)
            .withBackoff(settings.initialBackoff(), settings.maxBackoff())
            .withJitter(BACKOFF_JITTER)
            .withMaxRetries(-1)
            .build();
    while (!closed) {
      try {
        Failsafe.with(retry).run(this::session);
      } catch (FailsafeException e) {
        if (!closed) {
          log.warn("control client stopped retrying: {}", e.toString());
        }
      } catch (ClosedException e) {
        return;
      } catch (RuntimeException e) {
        if (!closed) {
          log.warn("control client failure", e);
        }
      }
    }
  }

  /** Thrown once the client is closed, to stop retrying. */
  private static final class ClosedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ClosedException() {
      super("closed", null, false, false);
    }
  }

  /** One stream; returns normally if it delivered config before ending, throws otherwise. */
  private void session() throws Exception {
    if (closed) {
      throw new ClosedException();
    }
    List<String> servers = settings.servers();
    String target = servers.get((int) (attempts++ % servers.size()));
    ManagedChannel channel = channels.computeIfAbsent(target, this::channel);
    WorkloadCertificates certs = certificates;
    if (certs != null) {
      // No config before a certificate: TLS config points at its files.
      certs.ensure(channel);
    }
    ControlPlaneGrpc.ControlPlaneStub stub = ControlPlaneGrpc.newStub(channel);
    if (settings.token() != null) {
      Metadata headers = new Metadata();
      headers.put(AUTHORIZATION, "Bearer " + settings.token());
      stub = stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
    }
    CompletableFuture<Void> ended = new CompletableFuture<>();
    AtomicBoolean received = new AtomicBoolean();
    AtomicReference<StreamObserver<ProxyMessage>> out = new AtomicReference<>();
    StreamObserver<ProxyMessage> requests =
        stub.stream(
            new StreamObserver<>() {
              @Override
              public void onNext(ControlMessage message) {
                if (message.hasSnapshot()) {
                  received.set(true);
                  connected = true;
                  handle(message.getSnapshot(), out.get());
                }
              }

              @Override
              public void onError(Throwable t) {
                ended.completeExceptionally(t);
              }

              @Override
              public void onCompleted() {
                ended.complete(null);
              }
            });
    out.set(requests);
    call.set((ClientCallStreamObserver<ProxyMessage>) requests);
    if (closed) {
      requests.onError(new IllegalStateException("closed"));
    }
    send(requests, ProxyMessage.newBuilder().setHello(hello()).build());
    String reason = "stream ended";
    try {
      ended.get();
    } catch (ExecutionException e) {
      reason = String.valueOf(e.getCause().getMessage());
    } finally {
      connected = false;
      call.set(null);
    }
    if (closed) {
      throw new ClosedException();
    }
    kernel.stale(
        "control service "
            + target
            + " unreachable since "
            + Instant.now()
            + " ("
            + reason
            + "); serving "
            + (applied ? "config version " + current.version() : "no config"));
    log.warn("control stream to {} ended: {}", target, reason);
    if (!received.get()) {
      throw new IOException("control service " + target + ": " + reason);
    }
  }

  private ManagedChannel channel(String target) {
    return channelBuilder(target, certificateSettings)
        .keepAliveTime(KEEPALIVE_SECONDS, TimeUnit.SECONDS)
        .keepAliveWithoutCalls(false)
        .maxInboundMessageSize(MAX_SNAPSHOT_BYTES)
        .build();
  }

  /**
   * A channel builder to a control replica: plaintext, or TLS verified with the CA file and trust
   * bundle of {@code certificates} when it names a control CA file.
   *
   * @param target the replica, {@code host:port}
   * @param certificates the certificate settings, or null
   * @return the builder
   */
  public static io.grpc.ManagedChannelBuilder<?> channelBuilder(
      String target, CertificateSettings certificates) {
    if (certificates == null || certificates.controlCaFile() == null) {
      return Grpc.newChannelBuilder(target, InsecureChannelCredentials.create());
    }
    return Grpc.newChannelBuilder(
        target,
        TlsChannelCredentials.newBuilder()
            .trustManager(
                new ControlTrust(
                    List.of(certificates.controlCaFile(), certificates.bundleFile()),
                    certificates.controlIdentity()))
            .build());
  }

  private Hello hello() {
    Hello.Builder b =
        Hello.newBuilder()
            .setNodeId(settings.nodeId())
            .setService(settings.service())
            .putAllLabels(settings.labels())
            .setAppliedVersion(appliedVersion());
    b.addAllPlugins(PluginDescriptors.of(kernel.plugins()));
    return b.build();
  }

  private void handle(Snapshot snapshot, StreamObserver<ProxyMessage> out) {
    String lastGood = appliedVersion();
    ResourceSet next;
    try {
      next = current.apply(snapshot);
      if (!next.version().equals(snapshot.getVersion())) {
        throw new IllegalArgumentException(
            "snapshot content has version "
                + next.version()
                + " (expected: the announced version "
                + snapshot.getVersion()
                + ")");
      }
    } catch (IllegalArgumentException e) {
      nack(out, snapshot, lastGood, List.of(), e.getMessage());
      return;
    }
    if (applied && next.version().equals(current.version())) {
      ack(out, snapshot);
      return;
    }
    try {
      kernel.apply(next.config(SOURCE));
    } catch (ConfigError e) {
      List<Problem> problems = new ArrayList<>();
      for (ConfigError.Problem p : e.problems()) {
        problems.add(
            Problem.newBuilder()
                .setRoute(p.route() == null ? "" : p.route())
                .setPlugin(p.plugin() == null ? "" : p.plugin())
                .setField(p.field())
                .setMessage(p.message())
                .build());
      }
      log.warn("rejected control config version {}: {}", snapshot.getVersion(), e.getMessage());
      nack(out, snapshot, lastGood, problems, e.getMessage());
      return;
    } catch (RuntimeException e) {
      log.warn("rejected control config version {}", snapshot.getVersion(), e);
      nack(out, snapshot, lastGood, List.of(), String.valueOf(e.getMessage()));
      return;
    }
    current = next;
    applied = true;
    if (settings.stateDir() != null) {
      try {
        PersistedSnapshot.save(settings.stateDir(), next.full(""));
      } catch (IOException e) {
        log.warn("cannot persist config version {}: {}", next.version(), e.toString());
      }
    }
    ack(out, snapshot);
  }

  private void ack(StreamObserver<ProxyMessage> out, Snapshot snapshot) {
    kernel.stale(null);
    send(
        out,
        ProxyMessage.newBuilder()
            .setAck(
                Ack.newBuilder().setVersion(snapshot.getVersion()).setNonce(snapshot.getNonce()))
            .build());
  }

  private void nack(
      StreamObserver<ProxyMessage> out,
      Snapshot snapshot,
      String lastGood,
      List<Problem> problems,
      String message) {
    if (applied) {
      kernel.stale(null);
    }
    send(
        out,
        ProxyMessage.newBuilder()
            .setNack(
                Nack.newBuilder()
                    .setVersion(snapshot.getVersion())
                    .setNonce(snapshot.getNonce())
                    .setLastGoodVersion(lastGood)
                    .addAllProblems(problems)
                    .setMessage(message == null ? "" : message))
            .build());
  }

  private static void send(StreamObserver<ProxyMessage> out, ProxyMessage message) {
    synchronized (out) {
      try {
        out.onNext(message);
      } catch (RuntimeException e) {
        log.debug("cannot send on the control stream: {}", e.toString());
      }
    }
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    ClientCallStreamObserver<ProxyMessage> c = call.get();
    if (c != null) {
      c.cancel("proxy shutting down", null);
    }
    thread.interrupt();
    if (certificates != null) {
      certificates.close();
    }
    for (ManagedChannel ch : channels.values()) {
      ch.shutdownNow();
    }
    try {
      thread.join(TimeUnit.SECONDS.toMillis(5));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (ManagedChannel ch : channels.values()) {
      try {
        ch.awaitTermination(1, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
