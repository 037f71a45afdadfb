package io.plugmesh.kernel.proxy;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.plugmesh.config.route.CompiledRoute;
import io.plugmesh.filters.ContextKeys;
import io.plugmesh.filters.internal.RejectedPathException;
import io.plugmesh.kernel.body.RequestBody;
import io.plugmesh.kernel.chain.KernelRequest;
import io.plugmesh.kernel.chain.KernelRequestContext;
import io.plugmesh.kernel.http.HeaderHygiene;
import io.plugmesh.kernel.http.RequestHeadCheck;
import io.plugmesh.kernel.http.RequestTarget;
import io.plugmesh.kernel.state.ClusterState;
import io.plugmesh.kernel.state.Snapshot;
import io.plugmesh.pluginruntime.BuiltChain;
import java.net.InetSocketAddress;
import java.util.Optional;

/**
 * The head step of an exchange, and what it found: a head the proxy refuses, no route, or a route
 * with its chain and backend cluster and the request the chain sees.
 */
sealed interface Routing {

  /**
   * A head answered before routing: it failed a {@link RequestHeadCheck}, the proxy has no config
   * yet, or the path must not be routed.
   *
   * @param status the HTTP status
   * @param text the response body
   * @param close whether the connection closes after the answer
   */
  record Refused(int status, String text, boolean close) implements Routing {}

  /**
   * No route matched.
   *
   * @param answer the 404 text
   */
  record Unrouted(String answer) implements Routing {}

  /**
   * A route matched.
   *
   * @param route the route
   * @param chain its chain in the exchange's config version
   * @param cluster the backend cluster picked for this request
   * @param request the request the chain sees
   */
  record Routed(CompiledRoute route, BuiltChain chain, ClusterState cluster, KernelRequest request)
      implements Routing {}

  /**
   * Checks and routes a head: {@link RequestHeadCheck}, then the normalized target ({@link
   * RequestTarget}); applies the listener's {@code headersWithUnderscores}; gives it a request id
   * (kept from the client when sane), matches it against the listener's routes, picks a backend,
   * and for a matched request removes hop-by-hop headers, adds the forwarding ones and builds the
   * request's context.
   *
   * @param snapshot the config the exchange started with, or null when there is none yet
   * @param listener the listener
   * @param head the head; its headers are changed in place
   * @param body the request body
   * @param http2 whether the head came on an HTTP/2 stream
   * @param client the downstream client
   * @param clientIp the client's address as text
   * @param peerIdentity the verified mTLS peer identity, or null
   * @return what routing found
   */
  static Routing route(
      Snapshot snapshot,
      ListenerContext listener,
      HttpRequest head,
      RequestBody body,
      boolean http2,
      InetSocketAddress client,
      String clientIp,
      String peerIdentity) {
    RequestHeadCheck.Refusal refusal =
        RequestHeadCheck.check(head, listener.runtime().limits(), http2);
    if (refusal != null) {
      return new Refused(refusal.status(), refusal.text(), refusal.close());
    }
    if (snapshot == null) {
      return new Refused(503, "the proxy has no config yet\n", false);
    }
    RequestTarget target;
    try {
      target = RequestTarget.parse(head.uri());
    } catch (RejectedPathException e) {
      return new Refused(
          400, "invalid request path: " + RequestHeadCheck.printable(e.getMessage()) + "\n", true);
    }
    HttpHeaders headers = head.headers();
    // Before matching and filters: a dropped name is seen by neither.
    String underscored =
        HeaderHygiene.underscoredName(headers, snapshot.headersWithUnderscores(listener.name()));
    if (underscored != null) {
      return new Refused(
          400,
          "header name \""
              + RequestHeadCheck.printable(underscored)
              + "\" contains an underscore (expected: no underscores in header names;"
              + " listener '"
              + listener.name()
              + "' has headersWithUnderscores: reject)\n",
          false);
    }
    String requestId = HeaderHygiene.ensureRequestId(headers);
    String authority = headers.get(HttpHeaderNames.HOST, "");
    String method = head.method().name();
    Optional<CompiledRoute> matched =
        snapshot.routes(listener.name()).match(method, target.path(), authority, headers::get);
    if (matched.isEmpty()) {
      return new Unrouted("no route matched " + method + " " + authority + target.path() + "\n");
    }
    CompiledRoute route = matched.get();
    BuiltChain chain = snapshot.chain(route.name());
    ClusterState cluster = snapshot.cluster(route.pickBackend().cluster());

    HeaderHygiene.stripHopByHop(headers);
    HeaderHygiene.setForwarded(headers, clientIp, listener.scheme());
    KernelRequestContext context = new KernelRequestContext(requestId, route.name());
    context.put(ContextKeys.CLIENT_ADDRESS, client);
    context.put(ContextKeys.ROUTE, route.name());
    if (peerIdentity != null) {
      context.put(ContextKeys.PEER_IDENTITY, peerIdentity);
    }
    KernelRequest request =
        new KernelRequest(
            body,
            head,
            target.pathAndQuery(),
            listener.scheme(),
            authority,
            http2 ? "HTTP/2" : head.protocolVersion().text(),
            context);
    return new Routed(route, chain, cluster, request);
  }
}
