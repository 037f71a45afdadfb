/** JMH microbenchmarks of the filter chain runner. */
package io.plugmesh.benchmarks.chain;
