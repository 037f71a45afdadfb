/** JMH microbenchmarks of the proxy's request metrics. */
package io.plugmesh.benchmarks.metrics;
