package io.plugmesh.kernel.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.HttpMethod;
import io.plugmesh.kernel.testing.H2Client;
import io.plugmesh.kernel.testing.KernelFixture;
import io.plugmesh.kernel.testing.TestUpstream;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A listener's {@code headersWithUnderscores} through a real kernel, over HTTP/1.1 and h2c: {@code
 * allow} forwards {@code x_user}, {@code drop} (the default) removes it before the upstream and
 * keeps the rest, {@code reject} answers 400 naming it and forwards nothing.
 */
class UnderscoreHeadersIT {
  /** Upper bound for one loopback exchange. */
  private static final int WAIT_SECONDS = 10;

  static TestUpstream up;
  static KernelFixture proxy;

  @BeforeAll
  static void start() throws Exception {
    up = TestUpstream.http1("up");
    proxy =
        KernelFixture.start(
            """
            listeners:
              - {name: allow, address: 127.0.0.1:0, headersWithUnderscores: allow}
              - {name: drop, address: 127.0.0.1:0}
              - {name: reject, address: 127.0.0.1:0, headersWithUnderscores: reject}
            clusters:
              - {name: up, endpoints: [{address: %s}]}
            routes:
              - {name: echo, match: {pathPrefix: /echo}, cluster: up}
            """
                .formatted(up.address()));
  }

  @AfterAll
  static void stop() {
    proxy.close();
    up.close();
  }

  /** Sends a GET with {@code x_user: admin} and {@code x-user: guest}; returns status and body. */
  private static Map.Entry<Integer, String> send(String protocol, String listener, String id)
      throws Exception {
    if (protocol.equals("h1")) {
      HttpResponse<String> r =
          proxy.get(listener, "/echo/u", "x-request-id", id, "x_user", "admin", "x-user", "guest");
      return Map.entry(r.statusCode(), r.body());
    }
    try (H2Client client = H2Client.connect(proxy.port(listener))) {
      H2Client.Response r =
          client
              .send(
                  HttpMethod.GET,
                  "/echo/u",
                  new byte[0],
                  Map.of("x-request-id", id, "x_user", "admin", "x-user", "guest"))
              .get(WAIT_SECONDS, TimeUnit.SECONDS);
      return Map.entry(r.status(), r.text());
    }
  }

  private static TestUpstream.Seen seen(String id) {
    return up.seen().stream()
        .filter(s -> id.equals(s.header("x-request-id")))
        .findFirst()
        .orElse(null);
  }

  @ParameterizedTest
  @ValueSource(strings = {"h1", "h2"})
  void allowForwardsTheName(String protocol) throws Exception {
    String id = UUID.randomUUID().toString();
    assertThat(send(protocol, "allow", id).getKey()).isEqualTo(200);
    assertThat(seen(id).header("x_user")).isEqualTo("admin");
    assertThat(seen(id).header("x-user")).isEqualTo("guest");
  }

  @ParameterizedTest
  @ValueSource(strings = {"h1", "h2"})
  void dropIsTheDefaultAndRemovesOnlyTheUnderscoredName(String protocol) throws Exception {
    String id = UUID.randomUUID().toString();
    assertThat(send(protocol, "drop", id).getKey()).isEqualTo(200);
    assertThat(seen(id).header("x_user")).isNull();
    assertThat(seen(id).header("x-user")).isEqualTo("guest");
  }

  @ParameterizedTest
  @ValueSource(strings = {"h1", "h2"})
  void rejectAnswers400NamingTheHeader(String protocol) throws Exception {
    String id = UUID.randomUUID().toString();
    Map.Entry<Integer, String> r = send(protocol, "reject", id);
    assertThat(r.getKey()).isEqualTo(400);
    assertThat(r.getValue()).contains("\"x_user\"").contains("headersWithUnderscores: reject");
    assertThat(seen(id)).isNull();
  }
}
