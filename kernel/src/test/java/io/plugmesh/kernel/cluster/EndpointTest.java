package io.plugmesh.kernel.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.plugmesh.config.EndpointConfig;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class EndpointTest {
  @Test
  void ipLiteralsAreResolvedWithoutALookup() {
    InetSocketAddress v4 = new Endpoint("127.0.0.1", 8080, 1).resolved();
    assertThat(v4.isUnresolved()).isFalse();
    assertThat(v4.getAddress().getHostAddress()).isEqualTo("127.0.0.1");
    assertThat(v4.getPort()).isEqualTo(8080);

    InetSocketAddress v6 = new Endpoint("::1", 9000, 1).resolved();
    assertThat(v6.isUnresolved()).isFalse();
    assertThat(v6.getAddress().isLoopbackAddress()).isTrue();
  }

  @Test
  void hostNamesStayUnresolved() {
    InetSocketAddress address = new Endpoint("reviews.internal.invalid", 80, 1).resolved();
    assertThat(address.isUnresolved()).isTrue();
    assertThat(address.getHostString()).isEqualTo("reviews.internal.invalid");
  }

  @Test
  void fromConfigAndAddressText() {
    Endpoint e = Endpoint.of(new EndpointConfig("::1", 9081, 3));
    assertThat(e.host()).isEqualTo("::1");
    assertThat(e.port()).isEqualTo(9081);
    assertThat(e.weight()).isEqualTo(3);
    assertThat(e.address()).isEqualTo("[::1]:9081");
    assertThat(new Endpoint("10.0.0.1", 80, 1).address()).isEqualTo("10.0.0.1:80");
  }

  @Test
  void rejectsNonsense() {
    assertThatThrownBy(() -> new Endpoint("", 80, 1)).hasMessageContaining("host");
    assertThatThrownBy(() -> new Endpoint("a", 0, 1)).hasMessageContaining("port: 0");
    assertThatThrownBy(() -> new Endpoint("a", 65536, 1)).hasMessageContaining("port: 65536");
    assertThatThrownBy(() -> new Endpoint("a", 80, 0)).hasMessageContaining("weight: 0");
  }

  @Test
  void activeRequestsCountUpAndDownButNeverBelowZero() {
    Endpoint e = new Endpoint("127.0.0.1", 80, 1);
    e.requestStarted();
    e.requestStarted();
    assertThat(e.activeRequests()).isEqualTo(2);
    e.requestFinished();
    e.requestFinished();
    e.requestFinished();
    assertThat(e.activeRequests()).isZero();
    e.requestStarted();
    assertThat(e.activeRequests()).isEqualTo(1);
  }

  @Test
  void countersAreThreadSafe() throws Exception {
    Endpoint e = new Endpoint("127.0.0.1", 80, 1);
    int threads = 4;
    int perThread = 10_000;
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      Thread worker =
          new Thread(
              () -> {
                for (int i = 0; i < perThread; i++) {
                  e.requestStarted();
                  e.requestFinished();
                }
              });
      workers.add(worker);
      worker.start();
    }
    for (int t = 0; t < threads; t++) {
      e.requestStarted();
    }
    for (Thread worker : workers) {
      worker.join(10_000);
      assertThat(worker.isAlive()).isFalse();
    }
    assertThat(e.activeRequests()).isEqualTo(threads);
  }
}
