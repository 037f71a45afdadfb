package io.plugmesh.control.server.admin;

import static java.util.Objects.requireNonNull;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.plugmesh.control.api.v1.DeregisterRequest;
import io.plugmesh.control.api.v1.DeregisterResponse;
import io.plugmesh.control.api.v1.HeartbeatRequest;
import io.plugmesh.control.api.v1.HeartbeatResponse;
import io.plugmesh.control.api.v1.RegisterRequest;
import io.plugmesh.control.api.v1.RegisterResponse;
import io.plugmesh.control.api.v1.RegistryGrpc;
import io.plugmesh.control.server.registry.Instance;
import io.plugmesh.control.server.registry.ServiceRegistry;

/** The service registry over gRPC. */
public final class RegistryGrpcService extends RegistryGrpc.RegistryImplBase {
  private final ServiceRegistry registry;

  /**
   * Creates the service.
   *
   * @param registry the registry
   */
  public RegistryGrpcService(ServiceRegistry registry) {
    this.registry = requireNonNull(registry, "registry");
  }

  /**
   * Handles a registration (shared with the HTTP face).
   *
   * @param request the request
   * @param registry the registry
   * @return the response
   */
  static RegisterResponse register(RegisterRequest request, ServiceRegistry registry) {
    Instance instance =
        new Instance(
            request.getService(),
            request.getInstanceId(),
            request.getAddress(),
            request.getWeight() == 0 ? 1 : request.getWeight());
    String lease = registry.register(instance, request.getTtlSeconds());
    return RegisterResponse.newBuilder()
        .setLeaseId(lease)
        .setTtlSeconds(request.getTtlSeconds())
        .build();
  }

  @Override
  public void register(RegisterRequest request, StreamObserver<RegisterResponse> out) {
    try {
      out.onNext(register(request, registry));
      out.onCompleted();
    } catch (IllegalArgumentException e) {
      out.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
    } catch (IllegalStateException e) {
      out.onError(Status.UNAVAILABLE.withDescription(e.getMessage()).asRuntimeException());
    }
  }

  @Override
  public void heartbeat(HeartbeatRequest request, StreamObserver<HeartbeatResponse> out) {
    try {
      long ttl = registry.heartbeat(request.getLeaseId());
      out.onNext(HeartbeatResponse.newBuilder().setTtlSeconds(ttl).build());
      out.onCompleted();
    } catch (ServiceRegistry.UnknownLeaseException e) {
      out.onError(Status.NOT_FOUND.withDescription(e.getMessage()).asRuntimeException());
    } catch (IllegalStateException e) {
      out.onError(Status.UNAVAILABLE.withDescription(e.getMessage()).asRuntimeException());
    }
  }

  @Override
  public void deregister(DeregisterRequest request, StreamObserver<DeregisterResponse> out) {
    try {
      registry.deregister(request.getLeaseId());
      out.onNext(DeregisterResponse.getDefaultInstance());
      out.onCompleted();
    } catch (RuntimeException e) {
      out.onError(Status.UNAVAILABLE.withDescription(e.getMessage()).asRuntimeException());
    }
  }
}
