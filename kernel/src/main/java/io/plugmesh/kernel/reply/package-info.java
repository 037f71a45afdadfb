/**
 * What goes back downstream: {@link io.plugmesh.kernel.reply.ResponseWriter} writes an upstream
 * response (head, then body chunks as the attempt streams them) or a local answer, decides framing
 * and keep-alive, and counts what was sent; {@code GrpcLocalReply} turns a local answer to a gRPC
 * call into a trailers-only gRPC status.
 */
package io.plugmesh.kernel.reply;
