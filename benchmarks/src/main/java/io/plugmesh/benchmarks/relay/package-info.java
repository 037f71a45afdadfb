/** A bare Netty HTTP/1.1 codec relay, the throughput baseline of the load benchmark. */
package io.plugmesh.benchmarks.relay;
