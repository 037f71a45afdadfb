/**
 * The plugmesh filter SPI: write a filter, package it as a PF4J plugin, run it on any route.
 *
 * <h2>Start here</h2>
 *
 * <ol>
 *   <li>{@link io.plugmesh.filters.Filter} is what runs on every request: an around-style,
 *       asynchronous function of the {@link io.plugmesh.filters.ProxyRequest} and the rest of the
 *       {@link io.plugmesh.filters.FilterChain}.
 *   <li>{@link io.plugmesh.filters.HeadersFilter} is the easy case: look at the request headers,
 *       then continue or answer. Most filters are a few lines of it.
 *   <li>{@link io.plugmesh.filters.FilterFactory} is the PF4J extension point the proxy discovers:
 *       a stable name, a {@link io.plugmesh.filters.Phase}, a JSON Schema of the configuration, a
 *       parser from {@link io.plugmesh.filters.ConfigNode} to your config record, and {@code
 *       create}, called once per route and config version.
 *   <li>{@link io.plugmesh.filters.RequestContext} carries request-scoped state under typed {@link
 *       io.plugmesh.filters.ContextKey}s; well-known keys are in {@link
 *       io.plugmesh.filters.ContextKeys}. {@link
 *       io.plugmesh.filters.RequestContext#onUpstreamAttempt} lets a filter see each upstream
 *       attempt (a retry makes several), e.g. to open a client span and inject its trace headers.
 *   <li>{@link io.plugmesh.filters.FilterServices} gives a filter its clock, scheduler, blocking
 *       executor, metrics, logger, caches shared across config versions, and its route entry's
 *       {@link io.plugmesh.filters.advanced.FilterMode} (enforce or shadow).
 *   <li>{@link io.plugmesh.filters.ProxyRequest#normalizedPath()} is the path the proxy routed on;
 *       match paths against it, never against the raw target.
 * </ol>
 *
 * <p>This package is the core a first filter needs. Bodies, identities, trace context, response
 * flags, upstream attempts and a filter's own mode are in {@link io.plugmesh.filters.advanced};
 * parts marked {@link io.plugmesh.filters.advanced.Unstable} may still change.
 *
 * <p>Test a filter without sockets with the {@code filters-testkit} module.
 *
 * <p>Rules the proxy enforces (loudly): {@code proceed} at most once unless the factory declares
 * replay; never return {@code null}; a synchronous throw becomes a failed stage and a 5xx; never
 * block the calling thread (use {@link io.plugmesh.filters.FilterServices#blockingExecutor()}).
 * Types in {@code .internal} packages are not part of the API.
 */
package io.plugmesh.filters;
