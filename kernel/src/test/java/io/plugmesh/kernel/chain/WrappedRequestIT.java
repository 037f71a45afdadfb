package io.plugmesh.kernel.chain;

import static org.assertj.core.api.Assertions.assertThat;

import io.plugmesh.filters.ConfigNode;
import io.plugmesh.filters.Filter;
import io.plugmesh.filters.FilterFactory;
import io.plugmesh.filters.FilterServices;
import io.plugmesh.filters.Headers;
import io.plugmesh.filters.Phase;
import io.plugmesh.filters.ProxyRequest;
import io.plugmesh.filters.RequestContext;
import io.plugmesh.filters.testkit.FakeUpstream;
import io.plugmesh.filters.testkit.FilterHarness;
import io.plugmesh.filters.testkit.TestRequest;
import io.plugmesh.filters.testkit.TestResponse;
import io.plugmesh.filters.testkit.UpstreamOutcome;
import io.plugmesh.filters.testkit.UpstreamRequest;
import io.plugmesh.kernel.testing.KernelFixture;
import io.plugmesh.kernel.testing.TestUpstream;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A filter that passes its own {@link ProxyRequest} to {@code proceed} (a wrapper that delegates
 * everything but rewrites the path and adds a header) behaves the same in the testkit and in a real
 * kernel: 200, and the upstream sees the rewritten path and the added header, once per attempt also
 * when an earlier filter retries through it.
 */
class WrappedRequestIT {
  /** The header the wrapper adds. */
  static final String WRAPPED = "x-wrapped";

  /** The prefix the wrapper puts before the path. */
  static final String PREFIX = "/v2";

  /** Request bytes the retrying filter keeps for replay. */
  static final int REPLAY_BYTES = 1024;

  static final FilterFactory<ConfigNode> WRAP =
      new Factory("wrap", Phase.CUSTOM, 0, (request, chain) -> chain.proceed(new Wrapped(request)));

  static final FilterFactory<ConfigNode> RETRY_ONCE =
      new Factory(
          "retry-once",
          Phase.RETRY,
          REPLAY_BYTES,
          (request, chain) ->
              chain
                  .proceed(request)
                  .thenCompose(
                      first -> {
                        if (first.status() != 503) {
                          return CompletableFuture.completedFuture(first);
                        }
                        first.discard();
                        return chain.proceed(request);
                      }));

  static TestUpstream upstream;
  static KernelFixture proxy;

  @BeforeAll
  static void start() throws Exception {
    upstream = TestUpstream.http1("up");
    proxy =
        KernelFixture.start(
            """
            listeners: [{name: main, address: 127.0.0.1:0}]
            clusters: [{name: up, endpoints: [{address: %s}]}]
            routes:
              - name: retried
                match: {pathPrefix: /retried}
                cluster: up
                plugins: [{name: retry-once}, {name: wrap}]
              - {name: wrapped, match: {pathPrefix: /}, cluster: up, plugins: [{name: wrap}]}
            """
                .formatted(upstream.address()),
            WRAP,
            RETRY_ONCE);
  }

  @AfterAll
  static void stop() {
    proxy.close();
    upstream.close();
  }

  @Test
  void theWrappedRequestGoesUpstreamFromTheTestkitAndFromTheKernel() throws Exception {
    try (FilterHarness harness = FilterHarness.of(WRAP)) {
      TestResponse inTestkit = harness.send(TestRequest.get("/orders/1"));
      assertThat(inTestkit.status()).isEqualTo(200);
      UpstreamRequest sent = harness.upstream().lastRequest();
      assertThat(sent.path()).isEqualTo(PREFIX + "/orders/1");
      assertThat(sent.headers().getAll(WRAPPED)).containsExactly("yes");
    }

    HttpResponse<String> inKernel = proxy.get("main", "/orders/1");
    assertThat(inKernel.statusCode()).as(inKernel.body()).isEqualTo(200);
    TestUpstream.Seen seen = upstream.last();
    assertThat(seen.uri()).isEqualTo(PREFIX + "/orders/1");
    assertThat(seen.headers().get(WRAPPED)).containsExactly("yes");
  }

  @Test
  void eachAttemptOfARetryBeforeTheWrapperIsWrappedOnce() throws Exception {
    try (FilterHarness harness =
        FilterHarness.builder()
            .add(RETRY_ONCE, Map.of())
            .add(WRAP, Map.of())
            .upstream(
                FakeUpstream.script(UpstreamOutcome.respond(503), UpstreamOutcome.respond(200)))
            .build()) {
      TestResponse inTestkit = harness.send(TestRequest.get("/retried/1"));
      assertThat(inTestkit.status()).isEqualTo(200);
      assertThat(harness.upstream().requests())
          .extracting(UpstreamRequest::path)
          .containsExactly(PREFIX + "/retried/1", PREFIX + "/retried/1");
      assertThat(harness.upstream().requests())
          .allSatisfy(r -> assertThat(r.headers().getAll(WRAPPED)).containsExactly("yes"));
    }

    int before = upstream.seen().size();
    HttpResponse<String> inKernel =
        proxy.get(
            "main",
            "/retried/1",
            TestUpstream.FAIL_FIRST,
            "1",
            "x-request-id",
            "wrapped-retry-" + System.nanoTime());
    assertThat(inKernel.statusCode()).as(inKernel.body()).isEqualTo(200);
    List<TestUpstream.Seen> all = upstream.seen();
    List<TestUpstream.Seen> seen = all.subList(before, all.size());
    assertThat(seen)
        .extracting(TestUpstream.Seen::uri)
        .containsExactly(PREFIX + "/retried/1", PREFIX + "/retried/1");
    assertThat(seen).allSatisfy(s -> assertThat(s.headers().get(WRAPPED)).containsExactly("yes"));
  }

  /** Delegates everything but the path (prefixed) and the headers (a copy with one more). */
  static final class Wrapped implements ProxyRequest {
    private final ProxyRequest delegate;
    private final Headers headers = Headers.create();

    Wrapped(ProxyRequest delegate) {
      this.delegate = delegate;
      for (Map.Entry<String, String> h : delegate.headers()) {
        headers.add(h.getKey(), h.getValue());
      }
      headers.set(WRAPPED, "yes");
    }

    @Override
    public String method() {
      return delegate.method();
    }

    @Override
    public String scheme() {
      return delegate.scheme();
    }

    @Override
    public String authority() {
      return delegate.authority();
    }

    @Override
    public String path() {
      return PREFIX + delegate.path();
    }

    @Override
    public void setPath(String pathAndQuery) {
      delegate.setPath(pathAndQuery);
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

  /** A built-in factory around one filter, with an open config. */
  record Factory(String name, Phase phase, int replayBytes, Filter filter)
      implements FilterFactory<ConfigNode> {
    @Override
    public String configSchema() {
      return "{\"type\": \"object\"}";
    }

    @Override
    public ConfigNode parseConfig(ConfigNode config) {
      return config;
    }

    @Override
    public Filter create(ConfigNode config, FilterServices services) {
      return filter;
    }

    @Override
    public int replay(ConfigNode config) {
      return replayBytes;
    }
  }
}
