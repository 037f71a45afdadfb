package io.plugmesh.kernel.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.plugmesh.kernel.testing.KernelFixture;
import io.plugmesh.kernel.testing.TestUpstream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * HTTP/1.1 message hygiene through a real kernel, with raw sockets so every byte is the test's:
 * ambiguous framing and malformed heads are refused and never forwarded, paths are normalized,
 * keep-alive and pipelining keep order, hop-by-hop headers stop at the proxy, and 100-continue
 * works.
 */
class Http1HygieneIT {
  static TestUpstream up;
  static TestUpstream chunky;
  static TestUpstream cut;
  static TestUpstream h2;
  static KernelFixture proxy;

  @BeforeAll
  static void start() throws Exception {
    up = TestUpstream.http1("up");
    chunky = TestUpstream.http1("chunky");
    cut = TestUpstream.http1("cut");
    h2 = TestUpstream.http2("h2");
    proxy =
        KernelFixture.start(
            """
            listeners:
              - {name: main, address: 127.0.0.1:0}
            clusters:
              - {name: up, endpoints: [{address: %s}]}
              - {name: chunky, endpoints: [{address: %s}]}
              - {name: cut, endpoints: [{address: %s}]}
              - {name: h2, protocol: http2, endpoints: [{address: %s}]}
            routes:
              - {name: chunky, match: {pathPrefix: /chunky}, cluster: chunky}
              - {name: cut, match: {pathPrefix: /cut}, cluster: cut}
              - {name: h2, match: {pathPrefix: /h2}, cluster: h2}
              - {name: b, match: {pathPrefix: /b}, cluster: up}
              - {name: echo, match: {pathPrefix: /echo}, cluster: up}
              - {name: delay, match: {pathPrefix: /delay}, cluster: up}
            """
                .formatted(up.address(), chunky.address(), cut.address(), h2.address()));
  }

  @AfterAll
  static void stop() {
    proxy.close();
    up.close();
    chunky.close();
    cut.close();
    h2.close();
  }

  private static RawConnection connect() throws Exception {
    return RawConnection.open(proxy.port("main"));
  }

  private static int upstreamHeads() {
    return up.requests() + chunky.requests() + cut.requests() + h2.requests();
  }

  static Stream<Arguments> malformed() {
    String post = "POST /echo/m HTTP/1.1\r\nHost: t\r\n";
    String get = "GET /echo/m HTTP/1.1\r\nHost: t\r\n";
    return Stream.of(
        Arguments.of(
            "Content-Length and Transfer-Encoding",
            post
                + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"),
        Arguments.of(
            "Transfer-Encoding and Content-Length",
            post + "Transfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n0\r\n\r\n"),
        Arguments.of(
            "two different Content-Length fields",
            post + "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"),
        Arguments.of("a Content-Length list", post + "Content-Length: 5, 6\r\n\r\nhello!"),
        Arguments.of("a non-numeric Content-Length", post + "Content-Length: 5x\r\n\r\nhello"),
        Arguments.of("a negative Content-Length", post + "Content-Length: -1\r\n\r\nhello"),
        Arguments.of(
            "Transfer-Encoding gzip (final coding not chunked)",
            post + "Transfer-Encoding: gzip\r\n\r\nhello"),
        Arguments.of(
            "Transfer-Encoding chunked, gzip", post + "Transfer-Encoding: chunked, gzip\r\n\r\nhi"),
        Arguments.of(
            "chunked applied twice",
            post + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
        Arguments.of(
            "Transfer-Encoding on HTTP/1.0",
            "POST /echo/m HTTP/1.0\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
        Arguments.of("a space in a header name", get + "Bad Header: x\r\n\r\n"),
        Arguments.of("a control character in a header name", get + "x\u0001y: 1\r\n\r\n"),
        Arguments.of("whitespace before the colon", get + "X-Foo : 1\r\n\r\n"),
        Arguments.of("a tab before the colon", get + "X-Foo\t: 1\r\n\r\n"),
        Arguments.of("a NUL in a header value", get + "X-Foo: a\u0000b\r\n\r\n"),
        Arguments.of("a header line without colon", get + "NoColonHere\r\n\r\n"),
        Arguments.of("bare LF line endings", "GET /echo/m HTTP/1.1\nHost: t\n\n"),
        Arguments.of("no Host on HTTP/1.1", "GET /echo/m HTTP/1.1\r\nX-Foo: 1\r\n\r\n"),
        Arguments.of("two Host fields", get + "Host: u\r\n\r\n"),
        Arguments.of("an encoded slash in the path", "GET /echo/a%2Fb HTTP/1.1\r\nHost: t\r\n\r\n"),
        Arguments.of("an encoded slash, lower case", "GET /echo/a%2fb HTTP/1.1\r\nHost: t\r\n\r\n"),
        Arguments.of("an encoded backslash", "GET /echo/a%5Cb HTTP/1.1\r\nHost: t\r\n\r\n"),
        Arguments.of("an encoded NUL", "GET /echo/a%00b HTTP/1.1\r\nHost: t\r\n\r\n"),
        Arguments.of("a fragment in the target", "GET /echo/m#x HTTP/1.1\r\nHost: t\r\n\r\n"),
        Arguments.of("a target not in origin form", "GET echo/m HTTP/1.1\r\nHost: t\r\n\r\n"),
        Arguments.of("a bad method token", "G(T /echo/m HTTP/1.1\r\nHost: t\r\n\r\n"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("malformed")
  void malformedRequestGets400IsClosedAndNeverReachesTheUpstream(String what, String request)
      throws Exception {
    int heads = upstreamHeads();
    int complete = up.seen().size();
    try (RawConnection c = connect()) {
      c.send(request);
      RawConnection.Response r = c.readResponse();
      assertThat(r.status()).as(what).isEqualTo(400);
      assertThat(r.header("connection")).as(what).isEqualToIgnoringCase("close");
      assertThat(c.closedByPeer()).as(what + ": connection closed").isTrue();
    }
    // The rejected bytes must not have started a request upstream.
    assertThat(upstreamHeads()).as(what).isEqualTo(heads);
    assertThat(up.seen()).as(what).hasSize(complete);
  }

  @Test
  void badChunkAfterTheHeadWasForwardedAnswers400AndAbandonsTheUpstreamConnection()
      throws Exception {
    int heads = chunky.requests();
    int complete = chunky.seen().size();
    int connections = chunky.connections();
    try (RawConnection c = connect()) {
      c.send(
          "POST /chunky/echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
              + "5\r\nhello\r\n");
      // The body streams: the head (and first chunk) go upstream before the body is complete.
      await().atMost(Duration.ofSeconds(10)).until(() -> chunky.uploadBytes() > 0);
      assertThat(chunky.requests()).isEqualTo(heads + 1);
      c.send("zz\r\nworld\r\n0\r\n\r\n");
      RawConnection.Response r = c.readResponse();
      assertThat(r.status()).isEqualTo(400);
      assertThat(r.header("connection")).isEqualToIgnoringCase("close");
      assertThat(c.closedByPeer()).isTrue();
    }
    // The upstream never saw a complete request, and its connection is not reused: it is closed.
    await().atMost(Duration.ofSeconds(10)).until(() -> chunky.openConnections() == 0);
    assertThat(chunky.seen()).hasSize(complete);
    assertThat(proxy.get("main", "/chunky/echo/after").statusCode()).isEqualTo(200);
    assertThat(chunky.connections()).isEqualTo(connections + 2);
    assertThat(chunky.seen()).hasSize(complete + 1);
  }

  @Test
  void badChunkInOneWriteWithTheHeadAnswers400AndNoCompleteRequestGoesUpstream() throws Exception {
    int complete = cut.seen().size();
    for (String body : new String[] {"zz\r\n", "5\r\nhello\r\nzz\r\n", "5\r\nhelloXX\r\n"}) {
      try (RawConnection c = connect()) {
        c.send("POST /cut/echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n" + body);
        RawConnection.Response r = c.readResponse();
        assertThat(r.status()).as(body).isEqualTo(400);
        assertThat(c.closedByPeer()).as(body).isTrue();
      }
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> cut.openConnections() == 0);
    assertThat(cut.seen()).hasSize(complete);
  }

  @Test
  void dotSegmentsArePlainOrEncodedAreRemovedBeforeRouting() throws Exception {
    for (String path :
        new String[] {"/a/../b/x", "/a/%2e%2e/b/x", "/a/%2E%2E/b/x", "/a/./.././b/x"}) {
      try (RawConnection c = connect()) {
        c.send("GET " + path + " HTTP/1.1\r\nHost: t\r\n\r\n");
        RawConnection.Response r = c.readResponse();
        assertThat(r.status()).as(path).isEqualTo(200);
        assertThat(r.body()).as(path).startsWith("up GET /b/x\n");
      }
      assertThat(up.last().uri()).as(path).isEqualTo("/b/x");
    }
  }

  @Test
  void keepAliveServesSeveralRequestsOnOneConnection() throws Exception {
    int connections = up.connections();
    try (RawConnection c = connect()) {
      for (int i = 0; i < 5; i++) {
        c.send("GET /echo/ka/" + i + " HTTP/1.1\r\nHost: t\r\n\r\n");
        RawConnection.Response r = c.readResponse();
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("connection")).isNull();
        assertThat(r.body()).startsWith("up GET /echo/ka/" + i + "\n");
      }
    }
    // One downstream connection, served sequentially: at most one new upstream connection.
    assertThat(up.connections()).isLessThanOrEqualTo(connections + 1);
  }

  @Test
  void http10WithoutKeepAliveIsAnsweredWithConnectionCloseAndClosed() throws Exception {
    try (RawConnection c = connect()) {
      c.send("GET /echo/old HTTP/1.0\r\n\r\n");
      RawConnection.Response r = c.readResponse();
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.version()).isEqualTo("HTTP/1.0");
      assertThat(r.header("connection")).isEqualToIgnoringCase("close");
      assertThat(r.body()).startsWith("up GET /echo/old\n");
      assertThat(c.closedByPeer()).isTrue();
    }
  }

  @Test
  void http10WithKeepAliveStaysOpen() throws Exception {
    try (RawConnection c = connect()) {
      for (int i = 0; i < 2; i++) {
        c.send("GET /echo/old-ka HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        RawConnection.Response r = c.readResponse();
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("connection")).isEqualToIgnoringCase("keep-alive");
      }
    }
  }

  @Test
  void pipelinedRequestsInOneWriteAreAnsweredInOrder() throws Exception {
    try (RawConnection c = connect()) {
      c.send(
          "GET /delay/300 HTTP/1.1\r\nHost: t\r\n\r\n"
              + "GET /echo/2 HTTP/1.1\r\nHost: t\r\n\r\n"
              + "GET /echo/3 HTTP/1.1\r\nHost: t\r\n\r\n");
      RawConnection.Response first = c.readResponse();
      RawConnection.Response second = c.readResponse();
      RawConnection.Response third = c.readResponse();
      assertThat(first.status()).isEqualTo(200);
      assertThat(first.body()).isEqualTo("up after 300ms\n");
      assertThat(second.body()).startsWith("up GET /echo/2\n");
      assertThat(third.body()).startsWith("up GET /echo/3\n");
      // Still usable afterwards.
      c.send("GET /echo/4 HTTP/1.1\r\nHost: t\r\n\r\n");
      assertThat(c.readResponse().body()).startsWith("up GET /echo/4\n");
    }
  }

  @Test
  void aHeadSplitAcrossTwoWritesAtEveryByteIsAnswered() throws Exception {
    byte[] request =
        "GET /echo/split HTTP/1.1\r\nHost: t\r\nX-A: 1\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    for (int cut = 1; cut < request.length; cut++) {
      try (RawConnection c = connect()) {
        // The first request on a fresh connection, then the next one on the kept-alive connection.
        for (int round = 0; round < 2; round++) {
          c.send(java.util.Arrays.copyOfRange(request, 0, cut));
          Thread.sleep(5); // let the first part arrive as a read of its own
          c.send(java.util.Arrays.copyOfRange(request, cut, request.length));
          RawConnection.Response r = c.readResponse();
          assertThat(r.status()).as("cut at %d, round %d", cut, round).isEqualTo(200);
          assertThat(r.body()).startsWith("up GET /echo/split\n");
        }
      }
    }
  }

  @Test
  void hopByHopHeadersNeverReachTheUpstream() throws Exception {
    try (RawConnection c = connect()) {
      c.send(
          "GET /echo/hop HTTP/1.1\r\nHost: t\r\n"
              + "Connection: close, x-secret\r\n"
              + "x-secret: 1\r\n"
              + "Proxy-Connection: keep-alive\r\n"
              + "Keep-Alive: timeout=5\r\n"
              + "Upgrade: websocket\r\n"
              + "TE: gzip\r\n"
              + "x-kept: yes\r\n\r\n");
      RawConnection.Response r = c.readResponse();
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.header("connection")).isEqualToIgnoringCase("close");
      assertThat(c.closedByPeer()).isTrue();
    }
    TestUpstream.Seen seen = up.last();
    assertThat(seen.uri()).isEqualTo("/echo/hop");
    assertThat(seen.headers())
        .containsKey("x-kept")
        .doesNotContainKeys(
            "connection", "x-secret", "proxy-connection", "keep-alive", "upgrade", "te");
  }

  @Test
  void teTrailersIsKeptForHttp1AndHttp2Upstreams() throws Exception {
    for (String path : new String[] {"/echo/te", "/h2/echo/te"}) {
      TestUpstream target = path.startsWith("/h2") ? h2 : up;
      try (RawConnection c = connect()) {
        c.send("GET " + path + " HTTP/1.1\r\nHost: t\r\nTE: trailers\r\n\r\n");
        assertThat(c.readResponse().status()).as(path).isEqualTo(200);
      }
      assertThat(target.last().uri()).isEqualTo(path);
      assertThat(target.last().headers().get("te")).as(path).containsExactly("trailers");
    }
  }

  @Test
  void expectContinueGets100ThenTheResponseAndTheUpstreamGetsTheBodyWithoutExpect()
      throws Exception {
    try (RawConnection c = connect()) {
      c.send(
          "POST /echo/expect HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\n"
              + "Content-Length: 5\r\n\r\n");
      RawConnection.Response interim = c.readResponse();
      assertThat(interim.status()).isEqualTo(100);
      c.send("hello");
      RawConnection.Response r = c.readResponse();
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.body()).contains("body-bytes: 5\n").doesNotContain("expect:");
    }
    TestUpstream.Seen seen = up.last();
    assertThat(seen.uri()).isEqualTo("/echo/expect");
    assertThat(seen.bodyBytes()).isEqualTo(5);
    assertThat(seen.header("expect")).isNull();
  }

  @Test
  void aRefusedRequestIsNotInvitedToSendItsBody() throws Exception {
    int heads = upstreamHeads();
    String expect = "Expect: 100-continue\r\nContent-Length: 5\r\n";
    String[][] cases = {
      {"POST /nope HTTP/1.1\r\nHost: t\r\n" + expect + "\r\n", "404"},
      {"POST /echo/x HTTP/1.1\r\nHost: t\r\nContent-Length: 6\r\n" + expect + "\r\n", "400"},
      {"POST /echo/a%2Fb HTTP/1.1\r\nHost: t\r\n" + expect + "\r\n", "400"},
    };
    for (String[] c : cases) {
      try (RawConnection conn = connect()) {
        conn.send(c[0]);
        // The final answer comes first, with no 100 Continue before it, and the body is not
        // awaited.
        RawConnection.Response r = conn.readResponse();
        assertThat(r.status()).as(c[0]).isEqualTo(Integer.parseInt(c[1]));
        assertThat(r.header("connection")).as(c[0]).isEqualToIgnoringCase("close");
        assertThat(conn.closedByPeer()).as(c[0]).isTrue();
      }
    }
    assertThat(upstreamHeads()).isEqualTo(heads);
  }
}
