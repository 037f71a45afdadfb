/**
 * Where a request enters: listening sockets ({@link io.plugmesh.kernel.listener.ListenerServer})
 * with plaintext, TLS or permissive ports, HTTP/1.1 or HTTP/2 told apart, the slow-header defence,
 * and the caller's mesh identity. Every connection or stream ends in a {@link
 * io.plugmesh.kernel.proxy.ProxyHandler}.
 */
package io.plugmesh.kernel.listener;
