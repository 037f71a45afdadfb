package io.plugmesh.kernel.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.CallOptions;
import io.grpc.ForwardingServerCallListener;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.MetadataUtils;
import io.plugmesh.kernel.testing.KernelFixture;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Iterator;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * gRPC through the kernel: a real grpc-java server (the standard health service) behind an h2c
 * cluster, a real grpc-java client on the listener. Unary, server streaming, trailers-only errors,
 * deadlines and cancellation.
 */
class GrpcIT {
  static final long WAIT_SECONDS = 15;
  static final Duration WAIT = Duration.ofSeconds(WAIT_SECONDS);

  /** Header a test puts on a call so the server side can tell its calls apart. */
  static final Metadata.Key<String> CALL_ID =
      Metadata.Key.of("x-test-call", Metadata.ASCII_STRING_MARSHALLER);

  static final Metadata.Key<String> REQUEST_ID =
      Metadata.Key.of("x-request-id", Metadata.ASCII_STRING_MARSHALLER);

  static HealthStatusManager health;
  static Server server;
  static KernelFixture proxy;
  static ManagedChannel channel;

  /** Call ids whose server call was cancelled (by the client, through the proxy). */
  static final Queue<String> cancelled = new ConcurrentLinkedQueue<>();

  /** Call id to the x-request-id the server saw: proof the call went through the proxy. */
  static final Map<String, String> requestIds = new ConcurrentHashMap<>();

  @BeforeAll
  static void start() throws Exception {
    health = new HealthStatusManager();
    health.setStatus("orders", ServingStatus.SERVING);
    ServerInterceptor recorder =
        new ServerInterceptor() {
          @Override
          public <Q, R> ServerCall.Listener<Q> interceptCall(
              ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
            String id = headers.get(CALL_ID);
            String requestId = headers.get(REQUEST_ID);
            if (id != null && requestId != null) {
              requestIds.put(id, requestId);
            }
            return new ForwardingServerCallListener.SimpleForwardingServerCallListener<Q>(
                next.startCall(call, headers)) {
              @Override
              public void onCancel() {
                if (id != null) {
                  cancelled.add(id);
                }
                super.onCancel();
              }
            };
          }
        };
    server =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .addService(ServerInterceptors.intercept(health.getHealthService(), recorder))
            .build()
            .start();
    proxy =
        KernelFixture.start(
            """
            listeners:
              - {name: main, address: 127.0.0.1:0}
            clusters:
              - {name: health, protocol: http2, endpoints: [{address: 127.0.0.1:%d}]}
            routes:
              - {name: grpc-health, match: {pathPrefix: /grpc.health.v1.Health/}, cluster: health}
            """
                .formatted(server.getPort()));
    channel =
        NettyChannelBuilder.forAddress("127.0.0.1", proxy.port("main")).usePlaintext().build();
  }

  @AfterAll
  static void stop() throws InterruptedException {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(WAIT_SECONDS, TimeUnit.SECONDS);
    }
    if (proxy != null) {
      proxy.close();
    }
    if (server != null) {
      server.shutdownNow().awaitTermination(WAIT_SECONDS, TimeUnit.SECONDS);
    }
  }

  private static HealthGrpc.HealthBlockingStub blocking(String callId) {
    Metadata extra = new Metadata();
    extra.put(CALL_ID, callId);
    return HealthGrpc.newBlockingStub(channel)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(extra))
        .withDeadlineAfter(WAIT_SECONDS, TimeUnit.SECONDS);
  }

  private static HealthCheckRequest service(String name) {
    return HealthCheckRequest.newBuilder().setService(name).build();
  }

  @Test
  void unaryCheckReturnsServing() {
    HealthCheckResponse r = blocking("check-1").check(service("orders"));
    assertThat(r.getStatus()).isEqualTo(ServingStatus.SERVING);
    // The empty name is the server's overall health.
    assertThat(blocking("check-2").check(service("")).getStatus()).isEqualTo(ServingStatus.SERVING);
    assertThat(requestIds).containsKey("check-1");
  }

  @Test
  void aLocalAnswerToAGrpcCallIsAGrpcStatus() {
    MethodDescriptor<HealthCheckRequest, HealthCheckResponse> unrouted =
        MethodDescriptor.<HealthCheckRequest, HealthCheckResponse>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY)
            .setFullMethodName("plugmesh.test.Missing/Call")
            .setRequestMarshaller(ProtoUtils.marshaller(HealthCheckRequest.getDefaultInstance()))
            .setResponseMarshaller(ProtoUtils.marshaller(HealthCheckResponse.getDefaultInstance()))
            .build();
    assertThatThrownBy(
            () ->
                ClientCalls.blockingUnaryCall(
                    channel,
                    unrouted,
                    CallOptions.DEFAULT.withDeadlineAfter(WAIT_SECONDS, TimeUnit.SECONDS),
                    service("")))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNIMPLEMENTED);
              assertThat(e.getStatus().getDescription()).startsWith("no route matched POST");
            });
    // The connection still serves calls.
    assertThat(blocking("after-local").check(service("orders")).getStatus())
        .isEqualTo(ServingStatus.SERVING);
  }

  @Test
  void unknownServiceFailsWithNotFoundFromTrailersOnlyResponse() {
    assertThatThrownBy(() -> blocking("unknown-1").check(service("no-such-service")))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode())
                  .as("status %s", e.getStatus())
                  .isEqualTo(Status.Code.NOT_FOUND);
              assertThat(e.getStatus().getDescription()).contains("unknown service");
            });
    assertThat(requestIds).containsKey("unknown-1");
    // The stream ended cleanly: the connection still serves calls.
    assertThat(blocking("unknown-2").check(service("orders")).getStatus())
        .isEqualTo(ServingStatus.SERVING);
  }

  @Test
  void serverStreamingWatchDeliversStatusChangesAndCancelReachesTheServer() throws Exception {
    health.setStatus("payments", ServingStatus.SERVING);
    BlockingQueue<Object> events = new ArrayBlockingQueue<>(16);
    AtomicReference<ClientCallStreamObserver<HealthCheckRequest>> call = new AtomicReference<>();
    Metadata extra = new Metadata();
    extra.put(CALL_ID, "watch-1");
    HealthGrpc.newStub(channel)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(extra))
        .withDeadlineAfter(60, TimeUnit.SECONDS)
        .watch(
            service("payments"),
            new ClientResponseObserver<HealthCheckRequest, HealthCheckResponse>() {
              @Override
              public void beforeStart(ClientCallStreamObserver<HealthCheckRequest> stream) {
                call.set(stream);
              }

              @Override
              public void onNext(HealthCheckResponse value) {
                events.offer(value.getStatus());
              }

              @Override
              public void onError(Throwable t) {
                events.offer(Status.fromThrowable(t).getCode());
              }

              @Override
              public void onCompleted() {
                events.offer("completed");
              }
            });
    assertThat(events.poll(WAIT_SECONDS, TimeUnit.SECONDS)).isEqualTo(ServingStatus.SERVING);

    health.setStatus("payments", ServingStatus.NOT_SERVING);
    assertThat(events.poll(WAIT_SECONDS, TimeUnit.SECONDS)).isEqualTo(ServingStatus.NOT_SERVING);
    health.setStatus("payments", ServingStatus.SERVING);
    assertThat(events.poll(WAIT_SECONDS, TimeUnit.SECONDS)).isEqualTo(ServingStatus.SERVING);

    call.get().cancel("test is done", null);
    assertThat(events.poll(WAIT_SECONDS, TimeUnit.SECONDS)).isEqualTo(Status.Code.CANCELLED);
    // The client's RST_STREAM became a reset of the upstream stream.
    await().atMost(WAIT).until(() -> cancelled.contains("watch-1"));
    assertThat(blocking("watch-2").check(service("payments")).getStatus())
        .isEqualTo(ServingStatus.SERVING);
  }

  @Test
  void deadlineExceededEndsTheCallAndTheProxyRecovers() {
    // Watch of a service never reported: one SERVICE_UNKNOWN, then the server stays silent.
    Metadata extra = new Metadata();
    extra.put(CALL_ID, "deadline-1");
    Iterator<HealthCheckResponse> watch =
        HealthGrpc.newBlockingStub(channel)
            .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(extra))
            .withDeadlineAfter(700, TimeUnit.MILLISECONDS)
            .watch(service("never-reported"));
    assertThat(watch.next().getStatus()).isEqualTo(ServingStatus.SERVICE_UNKNOWN);
    assertThatThrownBy(watch::hasNext)
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED));
    // The server learns of it (its own deadline from grpc-timeout, or the proxied reset).
    await().atMost(WAIT).until(() -> cancelled.contains("deadline-1"));

    // Same channel, and a new connection: both still served.
    assertThat(blocking("deadline-2").check(service("orders")).getStatus())
        .isEqualTo(ServingStatus.SERVING);
    ManagedChannel fresh =
        NettyChannelBuilder.forAddress("127.0.0.1", proxy.port("main")).usePlaintext().build();
    try {
      assertThat(
              HealthGrpc.newBlockingStub(fresh)
                  .withDeadlineAfter(WAIT_SECONDS, TimeUnit.SECONDS)
                  .check(service("orders"))
                  .getStatus())
          .isEqualTo(ServingStatus.SERVING);
    } finally {
      fresh.shutdownNow();
    }
  }

  @Test
  void metricsCountGrpcCallsAsHttp2() {
    assertThat(blocking("metrics-1").check(service("orders")).getStatus())
        .isEqualTo(ServingStatus.SERVING);
    await()
        .atMost(WAIT)
        .untilAsserted(
            () ->
                assertThat(proxy.admin("/metrics").lines())
                    .anySatisfy(
                        l ->
                            assertThat(l)
                                .startsWith("mesh_requests_total{")
                                .contains("route=\"grpc-health\"")
                                .contains("request_protocol=\"HTTP/2\"")
                                .contains("response_code=\"200\"")));
  }
}
