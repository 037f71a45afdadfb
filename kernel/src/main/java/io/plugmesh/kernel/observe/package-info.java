/**
 * What the proxy tells operators about requests: {@link io.plugmesh.kernel.observe.RequestLog} (one
 * finished request, filled by the data path), {@link io.plugmesh.kernel.observe.ProxyMetrics}
 * (Istio-style request metrics), {@link io.plugmesh.kernel.observe.AccessLogger} (Envoy-style text
 * or JSON lines) and {@link io.plugmesh.kernel.observe.MetricsRegistryFactory} (the Prometheus
 * registry with JVM, process and Netty meters).
 */
package io.plugmesh.kernel.observe;
