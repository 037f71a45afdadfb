package io.plugmesh.filters;

import io.plugmesh.filters.advanced.Principal;
import io.plugmesh.filters.advanced.TraceContext;
import java.net.InetSocketAddress;

/** Well-known {@link RequestContext} keys, set by the proxy or by the plugins named. */
public final class ContextKeys {
  private ContextKeys() {}

  /** The downstream peer's address, set by the proxy. */
  public static final ContextKey<InetSocketAddress> CLIENT_ADDRESS =
      ContextKey.of("plugmesh.client_address", InetSocketAddress.class);

  /** The route's name, set by the proxy. */
  public static final ContextKey<String> ROUTE = ContextKey.of("plugmesh.route", String.class);

  /**
   * The mTLS peer's identity, e.g. {@code spiffe://mesh.local/ns/default/sa/reviews}, set by the
   * proxy when the client presented a verified certificate.
   */
  public static final ContextKey<String> PEER_IDENTITY =
      ContextKey.of("plugmesh.peer_identity", String.class);

  /** The authenticated caller, set by an authentication plugin, read by rbac and ratelimit. */
  public static final ContextKey<Principal> PRINCIPAL =
      ContextKey.of("plugmesh.principal", Principal.class);

  /** The trace this request belongs to, set by the tracing plugin. */
  public static final ContextKey<TraceContext> TRACE =
      ContextKey.of("plugmesh.trace", TraceContext.class);
}
