package io.plugmesh.config;

import static java.util.Objects.requireNonNull;

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
 * @param headersWithUnderscores what happens to request header names with an underscore
 */
public record ListenerConfig(
    String name,
    String host,
    int port,
    TlsConfig tls,
    List<String> routes,
    HeadersWithUnderscores headersWithUnderscores) {

  /** Default {@code headersWithUnderscores}: dropped, so they cannot pass for a dashed name. */
  public static final HeadersWithUnderscores DEFAULT_HEADERS_WITH_UNDERSCORES =
      HeadersWithUnderscores.DROP;

  public ListenerConfig {
    routes = List.copyOf(routes);
    requireNonNull(headersWithUnderscores, "headersWithUnderscores");
  }

  /**
   * A listener with the default {@code headersWithUnderscores}.
   *
   * @param name a unique name
   * @param host the address to bind
   * @param port the port, 0 for an ephemeral one
   * @param tls the server certificate, or null for plaintext
   * @param routes names of the routes this listener serves, in match order
   */
  public ListenerConfig(String name, String host, int port, TlsConfig tls, List<String> routes) {
    this(name, host, port, tls, routes, DEFAULT_HEADERS_WITH_UNDERSCORES);
  }

  /**
   * This listener with other TLS files.
   *
   * @param tls the server certificate, or null for plaintext
   * @return the copy
   */
  public ListenerConfig withTls(TlsConfig tls) {
    return new ListenerConfig(name, host, port, tls, routes, headersWithUnderscores);
  }
}
