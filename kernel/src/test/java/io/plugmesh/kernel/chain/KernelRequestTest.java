package io.plugmesh.kernel.chain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.plugmesh.filters.Headers;
import io.plugmesh.filters.ProxyRequest;
import io.plugmesh.filters.RequestContext;
import io.plugmesh.kernel.body.RequestBody;
import io.plugmesh.kernel.upstream.OutboundRequest;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** What goes upstream when a filter proceeds with the kernel's request or with one of its own. */
class KernelRequestTest {
  static final RequestBody.Source NO_SOURCE =
      new RequestBody.Source() {
        @Override
        public void readBody() {}

        @Override
        public void cutShort() {}
      };

  final KernelRequest own = request();

  static KernelRequest request() {
    DefaultHttpRequest head = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/a");
    head.headers().set("host", "svc.local").set("x-one", "1");
    return new KernelRequest(
        new RequestBody(UnpooledByteBufAllocator.DEFAULT, NO_SOURCE),
        head,
        "/a?q=1",
        "http",
        "svc.local",
        "HTTP/1.1",
        new KernelRequestContext("id-1", "route"));
  }

  @Test
  void theKernelsOwnRequestGoesAsItIs() {
    assertThat(own.outbound(own)).isSameAs(own);
  }

  @Test
  void aFiltersOwnRequestIsCopiedForTheAttemptAndTheKernelsRequestStaysUnchanged() {
    Wrapper wrapper = new Wrapper(own);
    wrapper.method = "POST";
    wrapper.path = "/v2/a?q=1";
    wrapper.headers.set("x-two", "2");

    OutboundRequest out = own.outbound(wrapper);

    assertThat(out).isNotSameAs(own);
    assertThat(out.httpMethod()).isEqualTo(HttpMethod.POST);
    assertThat(out.path()).isEqualTo("/v2/a?q=1");
    assertThat(out.authority()).isEqualTo("svc.local");
    assertThat(out.httpHeaders().get("x-one")).isEqualTo("1");
    assertThat(out.httpHeaders().get("x-two")).isEqualTo("2");
    assertThat(out.httpHeaders().get("host")).isEqualTo("svc.local");
    assertThat(own.method()).isEqualTo("GET");
    assertThat(own.path()).isEqualTo("/a?q=1");
    assertThat(own.headers().contains("x-two")).isFalse();
  }

  @Test
  void aNewAuthorityReplacesHost() {
    Wrapper wrapper = new Wrapper(own);
    wrapper.authority = "other.local:8080";

    OutboundRequest out = own.outbound(wrapper);

    assertThat(out.authority()).isEqualTo("other.local:8080");
    assertThat(out.httpHeaders().getAll("host")).containsExactly("other.local:8080");
  }

  @Test
  void attemptListenersAreTheKernelContexts() {
    own.context().onUpstreamAttempt(attempt -> {});

    assertThat(own.outbound(new Wrapper(own)).attemptListeners())
        .isSameAs(own.attemptListeners())
        .hasSize(1);
  }

  @Test
  void aRequestThatCannotGoOnTheWireIsRefusedNamingWhy() {
    Wrapper relative = new Wrapper(own);
    relative.path = "v2/a";
    assertThatThrownBy(() -> own.outbound(relative))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expected: a path starting with /");

    Wrapper spaced = new Wrapper(own);
    spaced.method = "GE T";
    assertThatThrownBy(() -> own.outbound(spaced)).isInstanceOf(IllegalArgumentException.class);

    Wrapper noMethod = new Wrapper(own);
    noMethod.method = null;
    assertThatThrownBy(() -> own.outbound(noMethod))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("method");
  }

  /** A filter's request: fields to change, headers copied from the delegate. */
  static final class Wrapper implements ProxyRequest {
    final ProxyRequest delegate;
    final Headers headers = Headers.create();
    String method;
    String authority;
    String path;

    Wrapper(ProxyRequest delegate) {
      this.delegate = delegate;
      this.method = delegate.method();
      this.authority = delegate.authority();
      this.path = delegate.path();
      for (Map.Entry<String, String> h : delegate.headers()) {
        headers.add(h.getKey(), h.getValue());
      }
    }

    @Override
    public String method() {
      return method;
    }

    @Override
    public String scheme() {
      return delegate.scheme();
    }

    @Override
    public String authority() {
      return authority;
    }

    @Override
    public String path() {
      return path;
    }

    @Override
    public void setPath(String pathAndQuery) {
      path = pathAndQuery;
    }

    @Override
    public String protocol() {
      return delegate.protocol();
    }

    @Override
    public Headers headers() {
      return headers;
    }

    @Override
    public RequestContext context() {
      return delegate.context();
    }

    @Override
    public Optional<byte[]> body() {
      return delegate.body();
    }

    @Override
    public boolean replayable() {
      return delegate.replayable();
    }
  }
}
