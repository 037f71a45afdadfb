package io.plugmesh.control.server.ca;

import static java.util.Objects.requireNonNull;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.plugmesh.control.api.v1.ProxyMessage;
import io.plugmesh.control.server.admin.TokenAuth;
import java.util.Optional;

/**
 * Authenticates proxies by join token ({@code authorization: Bearer <token>}): an unknown or
 * missing token gets {@code UNAUTHENTICATED} and nothing else; a known one puts its {@link
 * Identity} in the call's context ({@link #IDENTITY}). On the proxy stream, a hello naming another
 * service than the token's is refused ({@code PERMISSION_DENIED}), so a proxy only gets the config
 * selected for its own service.
 */
public final class JoinTokenAuth implements ServerInterceptor {
  /** The authenticated proxy's identity, in the context of its calls. */
  public static final Context.Key<Identity> IDENTITY = Context.key("plugmesh-proxy-identity");

  private static final String BEARER = "Bearer ";

  private final JoinTokens tokens;

  /**
   * Creates the check.
   *
   * @param tokens the known join tokens
   */
  public JoinTokenAuth(JoinTokens tokens) {
    this.tokens = requireNonNull(tokens, "tokens");
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    String header = headers.get(TokenAuth.AUTHORIZATION);
    Optional<Identity> identity =
        header != null && header.startsWith(BEARER)
            ? tokens.identity(header.substring(BEARER.length()).trim())
            : Optional.empty();
    if (identity.isEmpty()) {
      call.close(
          Status.UNAUTHENTICATED.withDescription(
              "missing or unknown join token (expected: authorization: Bearer <join token>)"),
          new Metadata());
      return new ServerCall.Listener<>() {};
    }
    Identity id = identity.get();
    ServerCall.Listener<Q> listener =
        Contexts.interceptCall(Context.current().withValue(IDENTITY, id), call, headers, next);
    return new SimpleForwardingServerCallListener<>(listener) {
      private boolean checked;
      private boolean refused;

      @Override
      public void onMessage(Q message) {
        if (refused) {
          return;
        }
        if (!checked && message instanceof ProxyMessage m && m.hasHello()) {
          checked = true;
          String service = m.getHello().getService();
          if (!service.equals(id.service())) {
            refused = true;
            call.close(
                Status.PERMISSION_DENIED.withDescription(
                    "hello: service '"
                        + service
                        + "' (expected: '"
                        + id.service()
                        + "', the service of this proxy's join token)"),
                new Metadata());
            return;
          }
        }
        super.onMessage(message);
      }

      @Override
      public void onHalfClose() {
        if (!refused) {
          super.onHalfClose();
        }
      }
    };
  }
}
