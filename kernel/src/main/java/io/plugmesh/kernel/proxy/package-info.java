/**
 * One exchange per request, start here: {@link io.plugmesh.kernel.proxy.ProxyHandler} turns each
 * request of a connection into an {@code Exchange}, which takes it the whole way in order: the head
 * is checked ({@link io.plugmesh.kernel.http}) and routed ({@code Routing}, over {@link
 * io.plugmesh.config.route}), the route's chain runs ({@link io.plugmesh.kernel.chain}), the
 * filters' attempts go upstream ({@link io.plugmesh.kernel.upstream}) and the answer goes back
 * ({@link io.plugmesh.kernel.reply}), while the bodies move through {@link
 * io.plugmesh.kernel.body}. The exchange decides what happens when (timeouts, a closed downstream,
 * keep-alive) and reports itself once ({@code ExchangeRecord}). {@link
 * io.plugmesh.kernel.proxy.ProxyRuntime} is what the data path needs from the running proxy.
 */
package io.plugmesh.kernel.proxy;
