package io.plugmesh.config;

/**
 * An address written {@code host:port} or {@code [v6]:port}.
 *
 * @param host the host without brackets
 * @param port the port as written (range checked by the validator)
 */
record HostPort(String host, int port) {
  /** Digits a port may have; longer is not a port. */
  private static final int MAX_PORT_DIGITS = 5;

  /** What an address must look like, for error messages. */
  static final String EXPECTED = "host:port or [ipv6]:port";

  /**
   * Parses an address.
   *
   * @param text the address
   * @return the address, or null if it does not have the form
   */
  static HostPort parse(String text) {
    int colon = text.lastIndexOf(':');
    if (colon <= 0 || colon == text.length() - 1) {
      return null;
    }
    String host = text.substring(0, colon);
    String portText = text.substring(colon + 1);
    if (portText.length() > MAX_PORT_DIGITS) {
      return null;
    }
    for (int i = 0; i < portText.length(); i++) {
      if (portText.charAt(i) < '0' || portText.charAt(i) > '9') {
        return null;
      }
    }
    if (host.startsWith("[")) {
      if (!host.endsWith("]") || host.length() < 3) {
        return null;
      }
      host = host.substring(1, host.length() - 1);
      if (host.indexOf(':') < 0) {
        return null;
      }
    } else if (host.indexOf(':') >= 0 || host.indexOf('[') >= 0 || host.indexOf(']') >= 0) {
      return null;
    }
    return new HostPort(host, Integer.parseInt(portText));
  }

  /**
   * Writes an address.
   *
   * @param host the host
   * @param port the port
   * @return {@code host:port}, with brackets around an IPv6 host
   */
  static String format(String host, int port) {
    return (host != null && host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
  }
}
