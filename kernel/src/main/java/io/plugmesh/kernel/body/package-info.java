/**
 * Every body buffer of the request path: {@link io.plugmesh.kernel.body.RequestBody} (the request
 * body prebuffered for filters and replay, sent whole to each attempt as a retained duplicate, or
 * streamed to one attempt chunk by chunk, or drained after a local answer) and {@link
 * io.plugmesh.kernel.body.ResponseBody} (an upstream response's chunks held until the downstream
 * takes them, and the upstream messages no attempt takes). Body chunks are retained, duplicated,
 * queued and released only here; elsewhere a chunk is only passed on, to a channel whose write then
 * owns it. The only other releases are at the socket edges, of what is never handed on: stray reads
 * between exchanges and on idle pooled connections, and channel events. No buffer crosses the
 * filter SPI: filters see a copy of a buffered body.
 */
package io.plugmesh.kernel.body;
