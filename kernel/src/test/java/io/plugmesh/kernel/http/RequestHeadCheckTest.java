package io.plugmesh.kernel.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.plugmesh.config.Limits;
import io.plugmesh.filters.internal.RejectedPathException;
import org.junit.jupiter.api.Test;

/** Head checks and target parsing, socket-free (the raw-socket cases are in Http1HygieneIT). */
class RequestHeadCheckTest {
  static HttpRequest head(HttpMethod method, String uri, String host) {
    HttpRequest r = new DefaultHttpRequest(HttpVersion.HTTP_1_1, method, uri);
    if (host != null) {
      r.headers().add("host", host);
    }
    return r;
  }

  static RequestHeadCheck.Refusal check(HttpRequest head, boolean http2) {
    return RequestHeadCheck.check(head, Limits.DEFAULTS, http2);
  }

  @Test
  void anOrdinaryHeadPasses() {
    assertThat(check(head(HttpMethod.GET, "/a?b=1", "svc"), false)).isNull();
    assertThat(check(head(HttpMethod.GET, "http://svc/a", "svc"), false)).isNull();
  }

  @Test
  void eachRefusalSaysWhyAndWhetherTheConnectionCloses() {
    HttpRequest failed = head(HttpMethod.GET, "/", "svc");
    failed.setDecoderResult(DecoderResult.failure(new TooLongHttpLineException("long")));
    assertThat(check(failed, false)).extracting("status", "close").containsExactly(414, true);

    assertThat(check(head(HttpMethod.CONNECT, "svc:443", "svc"), false))
        .extracting("status", "close")
        .containsExactly(501, false);
    assertThat(check(head(HttpMethod.GET, "*", "svc"), false).text())
        .contains("expected: origin-form or absolute-form");
    assertThat(check(head(HttpMethod.GET, "/", null), false).status()).isEqualTo(400);
    assertThat(check(head(HttpMethod.GET, "/", null), true)).isNull();
  }

  @Test
  void clientTextIsEchoedPrintableAndBounded() {
    assertThat(RequestHeadCheck.printable("a\nb")).isEqualTo("a?b");
    assertThat(RequestHeadCheck.printable("x".repeat(500)))
        .hasSize(RequestHeadCheck.MAX_ECHOED_CHARS);
    assertThat(RequestHeadCheck.printable(null)).isEqualTo("invalid framing");
  }

  @Test
  void theTargetIsNormalizedForRoutingAndKeepsItsQuery() {
    assertThat(RequestTarget.parse("/a/./b/../c?x=/../y"))
        .isEqualTo(new RequestTarget("/a/c", "?x=/../y"));
    assertThat(RequestTarget.parse("http://svc:8080/a?q").pathAndQuery()).isEqualTo("/a?q");
    assertThat(RequestTarget.parse("http://svc").path()).isEqualTo("/");
    assertThatThrownBy(() -> RequestTarget.parse("/a%2Fb"))
        .isInstanceOf(RejectedPathException.class);
  }
}
