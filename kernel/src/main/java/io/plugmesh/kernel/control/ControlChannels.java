package io.plugmesh.kernel.control;

import io.grpc.ConnectivityState;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.TlsChannelCredentials;
import io.plugmesh.kernel.tls.SpiffeTrustManager;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * The gRPC channels of a proxy to its control replicas, one kept per replica. gRPC's own reconnect
 * backoff (1 s growing to 2 minutes) is kept out of the proxy's: a channel gRPC holds in {@code
 * TRANSIENT_FAILURE} is replaced by a fresh one before an attempt, and {@link #connect} waits at
 * most {@link #CONNECT_TIMEOUT}, so each attempt really connects, or fails at once.
 */
final class ControlChannels {
  /** How long one attempt waits for its connection to a control replica: 5 s. */
  static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

  /** How often an idle stream is pinged to notice a dead control service: 10 s. */
  static final long KEEPALIVE_SECONDS = 10;

  /** The largest snapshot accepted from the control service: 64 MiB. */
  static final int MAX_SNAPSHOT_BYTES = 64 * 1024 * 1024;

  private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();
  private final Supplier<CertificateSettings> certificates;

  /**
   * Channels verified with the certificate settings of the moment.
   *
   * @param certificates the certificate settings (or null) each new channel is built with
   */
  ControlChannels(Supplier<CertificateSettings> certificates) {
    this.certificates = certificates;
  }

  /**
   * The channel to {@code target} on which a new call connects now: the one kept, unless gRPC holds
   * it in {@code TRANSIENT_FAILURE} (where calls fail until gRPC's own backoff lets it try again);
   * then a fresh one.
   */
  ManagedChannel to(String target) {
    return channels.compute(
        target,
        (t, kept) -> {
          if (kept != null) {
            ConnectivityState state = kept.getState(false);
            if (state != ConnectivityState.TRANSIENT_FAILURE
                && state != ConnectivityState.SHUTDOWN) {
              return kept;
            }
            kept.shutdown();
          }
          return builder(t, certificates.get())
              .keepAliveTime(KEEPALIVE_SECONDS, TimeUnit.SECONDS)
              .keepAliveWithoutCalls(false)
              .maxInboundMessageSize(MAX_SNAPSHOT_BYTES)
              .build();
        });
  }

  /**
   * Waits until {@code channel} is connected: fails as soon as gRPC reports {@code
   * TRANSIENT_FAILURE}, or after {@link #CONNECT_TIMEOUT}.
   */
  static void connect(ManagedChannel channel) throws IOException, InterruptedException {
    CompletableFuture<ConnectivityState> settled = new CompletableFuture<>();
    whenSettled(channel, channel.getState(true), settled);
    ConnectivityState state;
    try {
      state = settled.get(CONNECT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new IOException("not connected within " + CONNECT_TIMEOUT.toMillis() + " ms");
    } catch (ExecutionException e) {
      throw new IOException(String.valueOf(e.getCause()), e.getCause());
    }
    if (state != ConnectivityState.READY) {
      throw new IOException("cannot connect (" + state + ")");
    }
  }

  private static void whenSettled(
      ManagedChannel channel, ConnectivityState state, CompletableFuture<ConnectivityState> out) {
    if (state == ConnectivityState.READY
        || state == ConnectivityState.TRANSIENT_FAILURE
        || state == ConnectivityState.SHUTDOWN) {
      out.complete(state);
      return;
    }
    if (!out.isDone()) {
      channel.notifyWhenStateChanged(
          state, () -> whenSettled(channel, channel.getState(false), out));
    }
  }

  /** Shuts every channel down now (an attempt may still be making one: call again after it). */
  void shutdownNow() {
    for (ManagedChannel ch : channels.values()) {
      ch.shutdownNow();
    }
  }

  /** Shuts every channel down and waits up to a second for each. */
  void shutdownAndWait() throws InterruptedException {
    for (ManagedChannel ch : channels.values()) {
      ch.shutdownNow();
      ch.awaitTermination(1, TimeUnit.SECONDS);
    }
  }

  /**
   * A channel builder to a control replica: plaintext, or TLS verified with the CA file and trust
   * bundle of {@code certificates} when it names a control CA file. The control API's certificate
   * must chain to a root of the bootstrap CA file or of the trust bundle received since (both
   * re-read on every handshake, so root rotation needs no restart) and hold the control service's
   * SPIFFE id; host names are not checked.
   */
  static ManagedChannelBuilder<?> builder(String target, CertificateSettings certificates) {
    if (certificates == null || certificates.controlCaFile() == null) {
      return Grpc.newChannelBuilder(target, InsecureChannelCredentials.create());
    }
    return Grpc.newChannelBuilder(
        target,
        TlsChannelCredentials.newBuilder()
            .trustManager(
                new SpiffeTrustManager(
                    List.of(certificates.controlCaFile(), certificates.bundleFile()),
                    certificates.controlIdentity(),
                    "control service"))
            .build());
  }
}
