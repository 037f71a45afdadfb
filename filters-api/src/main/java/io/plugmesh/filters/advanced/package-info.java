/**
 * What filters beyond the common case need: request bodies ({@link
 * io.plugmesh.filters.advanced.BodyAccess}), the caller's identity ({@link
 * io.plugmesh.filters.advanced.Principal}), trace context, response flags, upstream failures and
 * attempts, a filter's own {@link io.plugmesh.filters.advanced.FilterMode mode}, and local
 * responses built in full. A first filter needs none of this: start with {@link
 * io.plugmesh.filters}.
 *
 * <p>Types marked {@link io.plugmesh.filters.advanced.Unstable} may still change between minor
 * versions; everything else here is kept binary compatible like the core package.
 */
package io.plugmesh.filters.advanced;
