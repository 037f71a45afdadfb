package io.plugmesh.kernel.control;

import static java.util.Objects.requireNonNull;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
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
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
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
 *
 * <p>The backoff is this client's alone ({@link ControlSettings#initialBackoff()} to {@link
 * ControlSettings#maxBackoff()}, ± {@link #BACKOFF_JITTER}; at most {@link
 * #UNCONFIGURED_MAX_BACKOFF} while there is no config to serve). gRPC's own reconnect backoff (up
 * to 2 minutes) is kept out of it: a channel that gRPC holds in {@code TRANSIENT_FAILURE} is
 * replaced by a fresh one before an attempt, and an attempt that does not connect within {@link
 * ControlChannels#CONNECT_TIMEOUT} fails, so each attempt really connects, or fails at once.
 */
public final class ControlClient implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ControlClient.class);

  /** The source name in config errors of snapshots. */
  public static final String SOURCE = "control stream";

  /** Jitter applied to each reconnect delay: +/- 25%. */
  public static final double BACKOFF_JITTER = 0.25;

  /**
   * The largest reconnect delay while the proxy has no config to serve at all: 500 ms (or {@link
   * ControlSettings#maxBackoff()} if smaller), so that it is ready within 2 s of the control
   * service appearing.
   */
  public static final Duration UNCONFIGURED_MAX_BACKOFF = Duration.ofMillis(500);

  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private final Kernel kernel;
  private final ControlSettings settings;
  private final ControlChannels channels = new ControlChannels(() -> this.certificateSettings);
  private final AtomicReference<ClientCallStreamObserver<ProxyMessage>> call =
      new AtomicReference<>();
  private final Thread thread;
  private volatile boolean closed;
  private volatile boolean connected;
  private volatile ResourceSet current = ResourceSet.EMPTY;
  private volatile boolean applied;
  private long attempts;
  private final ReconnectBackoff backoff;
  private volatile WorkloadCertificates certificates;
  private volatile CertificateSettings certificateSettings;

  private ControlClient(Kernel kernel, ControlSettings settings) {
    this.kernel = requireNonNull(kernel, "kernel");
    this.settings = requireNonNull(settings, "settings");
    this.backoff = new ReconnectBackoff(settings.initialBackoff(), settings.maxBackoff());
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
    String target = servers.get(Math.floorMod(attempts, servers.size()));
    return channels.to(target);
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
    while (!closed) {
      try {
        session();
        // It delivered config, then ended: connect again at once.
        backoff.reset();
        continue;
      } catch (ClosedException e) {
        return;
      } catch (InterruptedException e) {
        if (closed) {
          return;
        }
      } catch (IOException e) {
        log.debug("control attempt failed: {}", e.getMessage());
      } catch (Exception e) {
        if (closed) {
          return;
        }
        log.warn("control client failure", e);
      }
      Duration delay = backoff.next(applied, ThreadLocalRandom.current().nextDouble());
      try {
        Thread.sleep(delay.toMillis());
      } catch (InterruptedException e) {
        if (closed) {
          return;
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
    ManagedChannel channel = channels.to(target);
    try {
      ControlChannels.connect(channel);
    } catch (IOException e) {
      unreachable(target, e.getMessage(), false);
      throw new IOException("control service " + target + ": " + e.getMessage(), e);
    }
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
    unreachable(target, reason, received.get());
    if (!received.get()) {
      throw new IOException("control service " + target + ": " + reason);
    }
  }

  /**
   * Reports the control service as away: {@code /ready} says stale, and why. Logged as a warning
   * when a stream ends or the first attempt after one fails, then quietly.
   */
  private void unreachable(String target, String reason, boolean streamEnded) {
    kernel.stale(
        "control service "
            + target
            + " unreachable since "
            + Instant.now()
            + " ("
            + reason
            + "); serving "
            + (applied ? "config version " + current.version() : "no config"));
    if (streamEnded) {
      log.warn("control stream to {} ended: {}", target, reason);
    } else if (backoff.failures() == 0) {
      log.warn("control service {} unreachable: {}", target, reason);
    } else {
      log.debug("control service {} still unreachable: {}", target, reason);
    }
  }

  /**
   * A channel builder to a control replica, as the proxy makes them: plaintext, or TLS verified
   * with the CA file and trust bundle of {@code certificates} when it names a control CA file.
   *
   * @param target the replica, {@code host:port}
   * @param certificates the certificate settings, or null
   * @return the builder
   */
  public static io.grpc.ManagedChannelBuilder<?> channelBuilder(
      String target, CertificateSettings certificates) {
    return ControlChannels.builder(target, certificates);
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
    channels.shutdownNow();
    try {
      thread.join(TimeUnit.SECONDS.toMillis(5));
      // again: an attempt may have replaced one meanwhile
      channels.shutdownAndWait();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
