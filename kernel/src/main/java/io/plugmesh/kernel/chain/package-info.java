/**
 * The route's chain on one request: {@link io.plugmesh.kernel.chain.KernelRequest} and {@link
 * io.plugmesh.kernel.chain.KernelRequestContext} are what filters see, {@link
 * io.plugmesh.kernel.chain.ChainCall} runs the chain (the API's shared chain runner) and turns a
 * failed run into its answer. What a filter passes to {@code proceed} becomes what an attempt
 * sends: the kernel's own request, or a copy of a filter's own request. {@link
 * io.plugmesh.kernel.chain.BlockedLoopWatchdog} names, counts and may quarantine a plugin that
 * blocks an event loop.
 */
package io.plugmesh.kernel.chain;
