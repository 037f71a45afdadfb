package io.plugmesh.control.server.admin;

import static java.util.Objects.requireNonNull;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.plugmesh.control.api.v1.ApplyRequest;
import io.plugmesh.control.api.v1.ApplyResponse;
import io.plugmesh.control.api.v1.ControlAdminGrpc;
import io.plugmesh.control.api.v1.DeleteRequest;
import io.plugmesh.control.api.v1.DeleteResponse;
import io.plugmesh.control.api.v1.GetRequest;
import io.plugmesh.control.api.v1.GetResponse;
import io.plugmesh.control.api.v1.PluginsRequest;
import io.plugmesh.control.api.v1.PluginsResponse;
import io.plugmesh.control.api.v1.ProxyConfigRequest;
import io.plugmesh.control.api.v1.ProxyConfigResponse;
import io.plugmesh.control.api.v1.StatusRequest;
import io.plugmesh.control.api.v1.StatusResponse;
import io.plugmesh.control.server.store.Kind;

/** The admin API over gRPC. */
public final class AdminGrpcService extends ControlAdminGrpc.ControlAdminImplBase {
  private final ControlOperations ops;

  /**
   * Creates the service.
   *
   * @param ops the operations
   */
  public AdminGrpcService(ControlOperations ops) {
    this.ops = requireNonNull(ops, "ops");
  }

  @Override
  public void apply(ApplyRequest request, StreamObserver<ApplyResponse> out) {
    out.onNext(ops.apply(request.getDocument(), request.getDryRun()));
    out.onCompleted();
  }

  @Override
  public void get(GetRequest request, StreamObserver<GetResponse> out) {
    Kind kind;
    try {
      kind = kindOrAll(request.getKind());
    } catch (IllegalArgumentException e) {
      out.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
      return;
    }
    out.onNext(ops.get(kind, request.getName()));
    out.onCompleted();
  }

  static Kind kindOrAll(String kind) {
    return kind.isEmpty() || kind.equals("all") ? null : Kind.parse(kind);
  }

  @Override
  public void delete(DeleteRequest request, StreamObserver<DeleteResponse> out) {
    Kind kind;
    try {
      kind = Kind.parse(request.getKind());
    } catch (IllegalArgumentException e) {
      out.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
      return;
    }
    out.onNext(ops.delete(kind, request.getNamesList()));
    out.onCompleted();
  }

  @Override
  public void status(StatusRequest request, StreamObserver<StatusResponse> out) {
    out.onNext(ops.status());
    out.onCompleted();
  }

  @Override
  public void plugins(PluginsRequest request, StreamObserver<PluginsResponse> out) {
    out.onNext(ops.plugins());
    out.onCompleted();
  }

  @Override
  public void proxyConfig(ProxyConfigRequest request, StreamObserver<ProxyConfigResponse> out) {
    var config = ops.proxyConfig(request.getNodeId());
    if (config.isEmpty()) {
      out.onError(
          Status.NOT_FOUND
              .withDescription(
                  "proxy '"
                      + request.getNodeId()
                      + "' is not connected to this control replica (expected: a connected node id;"
                      + " see status)")
              .asRuntimeException());
      return;
    }
    out.onNext(config.get());
    out.onCompleted();
  }
}
