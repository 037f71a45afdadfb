package io.plugmesh.config;

/**
 * What a listener does with request header names that contain an underscore ({@code x_user}).
 * Frameworks that map {@code -} and {@code _} to the same variable (CGI, PHP, nginx's {@code
 * $http_}, many WSGI servers) read {@code x_user} as {@code x-user}, so a client could slip a
 * header past a filter that removes or checks only {@code x-user}.
 */
public enum HeadersWithUnderscores {
  /** Forwarded like any other header (Envoy's default). */
  ALLOW,
  /** Removed from the request before routing and filters; the request goes on (the default). */
  DROP,
  /** The request is answered 400 naming the header. */
  REJECT
}
