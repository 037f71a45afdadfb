package io.plugmesh.ctl;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import io.plugmesh.control.api.v1.ControlAdminGrpc;
import java.util.concurrent.TimeUnit;

/** A connection to a control replica's admin API with the bearer token. */
final class AdminClient implements AutoCloseable {
  /** How long one admin call may take: 30 s. */
  static final long DEADLINE_SECONDS = 30;

  /** The largest response accepted: 64 MiB. */
  static final int MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

  private final ManagedChannel channel;
  private final ControlAdminGrpc.ControlAdminBlockingStub stub;

  AdminClient(String server, String token) {
    channel =
        Grpc.newChannelBuilder(server, InsecureChannelCredentials.create())
            .maxInboundMessageSize(MAX_RESPONSE_BYTES)
            .build();
    Metadata headers = new Metadata();
    headers.put(
        Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER),
        "Bearer " + (token == null ? "" : token));
    stub =
        ControlAdminGrpc.newBlockingStub(channel)
            .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
  }

  ControlAdminGrpc.ControlAdminBlockingStub stub() {
    return stub.withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS);
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
