package io.plugmesh.plugins.rbac;

import io.plugmesh.filters.ContextKeys;
import io.plugmesh.filters.ProxyRequest;
import io.plugmesh.filters.advanced.Principal;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Set;

/**
 * What a rule matches: who calls (principal claims, mTLS peer identity, client address) and what
 * they ask for (method, path, headers). Every condition given must hold; within a list, one entry
 * must hold (headers: every entry). An empty condition matches every request.
 *
 * @param authenticated if non-null, whether a principal must (true) or must not (false) be present
 * @param claims claim conditions, all must hold; any fails without a principal
 * @param peers accepted peer identities; an entry ending in {@code *} is a prefix
 * @param clientIps accepted client address blocks
 * @param methods accepted methods, upper case; empty accepts any
 * @param paths accepted paths; empty accepts any
 * @param headers header conditions, all must hold
 */
record Condition(
    Boolean authenticated,
    List<ClaimMatcher> claims,
    List<String> peers,
    List<Cidr> clientIps,
    Set<String> methods,
    List<PathMatcher> paths,
    List<HeaderMatcher> headers) {

  Condition {
    claims = List.copyOf(claims);
    peers = List.copyOf(peers);
    clientIps = List.copyOf(clientIps);
    methods = Set.copyOf(methods);
    paths = List.copyOf(paths);
    headers = List.copyOf(headers);
  }

  /**
   * Whether a request matches.
   *
   * @param request the request
   * @param normalizedPath its normalized path
   * @return true if every condition holds
   */
  boolean matches(ProxyRequest request, String normalizedPath) {
    if (!methods.isEmpty() && !methods.contains(request.method())) {
      return false;
    }
    if (!paths.isEmpty() && paths.stream().noneMatch(p -> p.matches(normalizedPath))) {
      return false;
    }
    for (HeaderMatcher header : headers) {
      if (!header.matches(request.headers())) {
        return false;
      }
    }
    Principal principal = request.context().get(ContextKeys.PRINCIPAL).orElse(null);
    if (authenticated != null && authenticated != (principal != null)) {
      return false;
    }
    if (!claims.isEmpty()) {
      if (principal == null) {
        return false;
      }
      for (ClaimMatcher claim : claims) {
        if (!claim.matches(principal)) {
          return false;
        }
      }
    }
    if (!peers.isEmpty()) {
      String peer = request.context().get(ContextKeys.PEER_IDENTITY).orElse(null);
      if (peer == null || peers.stream().noneMatch(p -> peerMatches(p, peer))) {
        return false;
      }
    }
    if (!clientIps.isEmpty()) {
      InetSocketAddress client = request.context().get(ContextKeys.CLIENT_ADDRESS).orElse(null);
      if (client == null
          || client.getAddress() == null
          || clientIps.stream().noneMatch(c -> c.contains(client.getAddress()))) {
        return false;
      }
    }
    return true;
  }

  private static boolean peerMatches(String pattern, String peer) {
    return pattern.endsWith("*")
        ? peer.startsWith(pattern.substring(0, pattern.length() - 1))
        : pattern.equals(peer);
  }
}
