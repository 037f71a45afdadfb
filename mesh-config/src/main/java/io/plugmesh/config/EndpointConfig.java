package io.plugmesh.config;

/**
 * One upstream instance.
 *
 * @param host an IP address or host name
 * @param port the port
 * @param weight the relative weight for weighted policies, &gt;= 1
 */
public record EndpointConfig(String host, int port, int weight) {
  /**
   * The endpoint as {@code host:port}.
   *
   * @return the address text
   */
  public String address() {
    return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
  }
}
