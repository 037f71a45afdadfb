package io.plugmesh.plugins.rbac;

import static java.util.Objects.requireNonNull;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/**
 * An IPv4 or IPv6 address block such as {@code 10.0.0.0/8} or {@code fd00::/8}; a bare address is a
 * block of one. IPv4-mapped IPv6 addresses ({@code ::ffff:10.1.2.3}) match IPv4 blocks. Only
 * literals are parsed: never a name lookup.
 *
 * @param network the network address bytes (host bits cleared)
 * @param prefixLength the number of leading bits that must match
 */
record Cidr(byte[] network, int prefixLength) {

  private static final Pattern IPV4 = Pattern.compile("[0-9]{1,3}(\\.[0-9]{1,3}){3}");
  private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]+");

  Cidr {
    requireNonNull(network, "network");
    network = network.clone();
  }

  /**
   * Parses a block.
   *
   * @param text e.g. {@code 192.168.0.0/16}, {@code ::1/128} or {@code 10.1.2.3}
   * @return the block
   * @throws IllegalArgumentException saying what was expected
   */
  static Cidr parse(String text) {
    int slash = text.indexOf('/');
    String address = slash < 0 ? text : text.substring(0, slash);
    byte[] bytes = literal(address);
    if (bytes == null) {
      throw new IllegalArgumentException(
          "'" + text + "' (expected: an IPv4 or IPv6 address or block, e.g. 10.0.0.0/8)");
    }
    int bits = bytes.length * 8;
    int prefix = bits;
    if (slash >= 0) {
      try {
        prefix = Integer.parseInt(text.substring(slash + 1));
      } catch (NumberFormatException e) {
        prefix = -1;
      }
      if (prefix < 0 || prefix > bits) {
        throw new IllegalArgumentException(
            "'" + text + "': prefix length (expected: 0.." + bits + ")");
      }
    }
    byte[] network = bytes.clone();
    for (int i = 0; i < network.length; i++) {
      int keep = Math.max(0, Math.min(8, prefix - i * 8));
      network[i] &= (byte) (0xff << (8 - keep));
    }
    return new Cidr(network, prefix);
  }

  /**
   * Whether the block holds an address.
   *
   * @param address the address
   * @return true if it lies in the block
   */
  boolean contains(InetAddress address) {
    byte[] bytes = address.getAddress();
    if (address instanceof Inet6Address && network.length == 4 && isV4Mapped(bytes)) {
      bytes = new byte[] {bytes[12], bytes[13], bytes[14], bytes[15]};
    }
    if (bytes.length != network.length) {
      return false;
    }
    for (int i = 0; i < bytes.length; i++) {
      int keep = Math.max(0, Math.min(8, prefixLength - i * 8));
      if (keep == 0) {
        return true;
      }
      byte mask = (byte) (0xff << (8 - keep));
      if ((bytes[i] & mask) != network[i]) {
        return false;
      }
    }
    return true;
  }

  @Override
  public String toString() {
    try {
      return InetAddress.getByAddress(network).getHostAddress() + "/" + prefixLength;
    } catch (UnknownHostException e) {
      return "?/" + prefixLength;
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Cidr c
        && c.prefixLength == prefixLength
        && java.util.Arrays.equals(c.network, network);
  }

  @Override
  public int hashCode() {
    return java.util.Arrays.hashCode(network) * 31 + prefixLength;
  }

  private static boolean isV4Mapped(byte[] bytes) {
    for (int i = 0; i < 10; i++) {
      if (bytes[i] != 0) {
        return false;
      }
    }
    return bytes[10] == (byte) 0xff && bytes[11] == (byte) 0xff;
  }

  private static byte[] literal(String address) {
    boolean v4 = IPV4.matcher(address).matches();
    boolean v6 = address.indexOf(':') >= 0 && IPV6.matcher(address).matches();
    if (!v4 && !v6) {
      return null;
    }
    if (v4) {
      for (String octet : address.split("\\.")) {
        if (Integer.parseInt(octet) > 255) {
          return null;
        }
      }
    }
    try {
      InetAddress parsed = InetAddress.getByName(address); // a literal: no lookup
      if (v4 && !(parsed instanceof Inet4Address)) {
        return null;
      }
      return parsed.getAddress();
    } catch (UnknownHostException e) {
      return null;
    }
  }
}
