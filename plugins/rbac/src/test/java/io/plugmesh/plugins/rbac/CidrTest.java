package io.plugmesh.plugins.rbac;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CidrTest {

  private static boolean contains(String block, String address) throws Exception {
    return Cidr.parse(block).contains(InetAddress.getByName(address));
  }

  @Test
  void ipv4Blocks() throws Exception {
    assertThat(contains("10.0.0.0/8", "10.200.3.4")).isTrue();
    assertThat(contains("10.0.0.0/8", "11.0.0.1")).isFalse();
    assertThat(contains("192.168.1.0/25", "192.168.1.127")).isTrue();
    assertThat(contains("192.168.1.0/25", "192.168.1.128")).isFalse();
    assertThat(contains("192.168.1.77/24", "192.168.1.1")).isTrue(); // host bits ignored
    assertThat(contains("127.0.0.1", "127.0.0.1")).isTrue();
    assertThat(contains("127.0.0.1", "127.0.0.2")).isFalse();
    assertThat(contains("0.0.0.0/0", "203.0.113.9")).isTrue();
  }

  @Test
  void ipv6BlocksAndMappedAddresses() throws Exception {
    assertThat(contains("fd00::/8", "fd12:3456::1")).isTrue();
    assertThat(contains("fd00::/8", "fe80::1")).isFalse();
    assertThat(contains("::1/128", "::1")).isTrue();
    assertThat(contains("2001:db8::/32", "2001:db8:ffff::1")).isTrue();
    assertThat(contains("2001:db8::/33", "2001:db8:ffff::1")).isFalse();
    // An IPv4 block does not match IPv6 addresses, and the other way round.
    assertThat(contains("10.0.0.0/8", "fd00::1")).isFalse();
    assertThat(contains("::/0", "10.0.0.1")).isFalse();
    // IPv4-mapped IPv6 addresses match IPv4 blocks.
    byte[] mapped = new byte[16];
    mapped[10] = (byte) 0xff;
    mapped[11] = (byte) 0xff;
    mapped[12] = 10;
    mapped[15] = 7;
    assertThat(
            Cidr.parse("10.0.0.0/8").contains(java.net.Inet6Address.getByAddress(null, mapped, -1)))
        .isTrue();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "10.0.0.0/33",
        "10.0.0.0/-1",
        "10.0.0/8",
        "999.1.1.1",
        "localhost",
        "fd00::/129",
        "10.0.0.0/x",
        "example.com/8"
      })
  void onlyLiteralBlocksParse(String text) {
    assertThatThrownBy(() -> Cidr.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expected");
  }
}
