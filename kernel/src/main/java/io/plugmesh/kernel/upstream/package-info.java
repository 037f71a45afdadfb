/**
 * Upstream attempts and the connections they use. {@link io.plugmesh.kernel.upstream.Attempts}
 * picks each attempt's endpoint (not one tried already), admits it through the cluster's circuit
 * breaker and announces it to attempt listeners; an {@link io.plugmesh.kernel.upstream.Attempt}
 * writes the request and hands the response head back to the chain. {@link
 * io.plugmesh.kernel.upstream.UpstreamConnector} lends channels on the attempt's own event loop:
 * pooled HTTP/1.1 connections ({@code Http1Pool}) or streams of one HTTP/2 connection ({@code
 * Http2Connection}) per endpoint and loop, with TLS that follows certificate rotation ({@code
 * ConnectionTls}).
 */
package io.plugmesh.kernel.upstream;
