package io.plugmesh.config;

import java.util.List;

/**
 * A listening socket. Speaks HTTP/1.1 and HTTP/2 with prior knowledge (h2c) on the same port; with
 * {@code tls} it negotiates h2 or http/1.1 by ALPN.
 *
 * @param name a unique name
 * @param host the address to bind, e.g. {@code 127.0.0.1}
 * @param port the port, 0 for an ephemeral one
 * @param tls the server certificate, or null for plaintext
 * @param routes names of the routes this listener serves, in match order; empty means all routes
 */
public record ListenerConfig(
    String name, String host, int port, TlsConfig tls, List<String> routes) {
  public ListenerConfig {
    routes = List.copyOf(routes);
  }
}
