/**
 * The proxy's control client: receives versioned snapshots from the control service, applies them
 * atomically, answers ACK or NACK, reconnects with backoff, and persists the last good config.
 */
package io.plugmesh.kernel.control;
