package io.plugmesh.config;

/** The protocol the proxy speaks to a cluster's endpoints. */
public enum UpstreamProtocol {
  /** HTTP/1.1 with pooled keep-alive connections. */
  HTTP1,
  /** HTTP/2 with prior knowledge (h2c), streams multiplexed on one connection per endpoint. */
  HTTP2
}
