/**
 * HTTP rules a request head meets before it is routed, shared by HTTP/1.1 and HTTP/2: {@link
 * io.plugmesh.kernel.http.RequestHeadCheck} (decoder failures, limits, target form, {@code Host}),
 * {@link io.plugmesh.kernel.http.RequestTarget} (path normalized for routing, query kept), {@link
 * io.plugmesh.kernel.http.HeaderHygiene} (hop-by-hop headers, forwarding headers, request ids on
 * every hop) and {@link io.plugmesh.kernel.http.NettyHeaders} (Netty's headers as filters see
 * them). No buffers here: bodies are {@link io.plugmesh.kernel.body}'s.
 */
package io.plugmesh.kernel.http;
