package io.plugmesh.filters.testkit;

import static java.util.Objects.requireNonNull;

import io.plugmesh.filters.Headers;
import io.plugmesh.filters.ProxyRequest;
import io.plugmesh.filters.ProxyResponse;
import io.plugmesh.filters.advanced.ResponseFlag;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What a {@link FilterHarness} send produced: the response the client would get, and how the chain
 * got there.
 *
 * <pre>{@code
 * TestResponse response = harness.send(TestRequest.get("/"));
 * assertThat(response.status()).isEqualTo(401);
 * assertThat(response.answeredBy()).hasValue("authn-jwt");
 * assertThat(response.decision("authn-jwt")).isEqualTo(TestResponse.Decision.RESPOND);
 * }</pre>
 *
 * <p>When the chain fails the send still yields a response, the one the proxy would send, and
 * {@link #failure()} says why:
 *
 * <ul>
 *   <li>a filter threw, returned null or broke a chain rule (such as calling {@code proceed} twice
 *       without replay): status {@value #FILTER_FAILURE_STATUS}, {@link #failedPlugin()} names the
 *       plugin, {@code failure()} is the proxy's error whose message names the plugin and whose
 *       cause is the filter's own exception;
 *   <li>an upstream failure nothing handled: the {@link
 *       io.plugmesh.filters.advanced.UpstreamException}'s {@linkplain
 *       io.plugmesh.filters.advanced.UpstreamException.Kind#status() status} (503 or 504), its
 *       {@linkplain io.plugmesh.filters.advanced.UpstreamException.Kind#flag() response flag}
 *       added, and {@code failure()} is the {@code UpstreamException} itself.
 * </ul>
 *
 * <p>Failed responses have no headers and an empty body.
 */
public final class TestResponse {

  /** The status of a response to a failed filter. */
  public static final int FILTER_FAILURE_STATUS = 500;

  /** The status the proxy answers when a request body exceeds a buffered filter's limit. */
  public static final int PAYLOAD_TOO_LARGE_STATUS = 413;

  /** What a filter did with a request, as the proxy counts it. */
  public enum Decision {
    /** It passed the request on. */
    CONTINUE,
    /** It answered itself. */
    RESPOND,
    /** It failed (threw, returned null, broke a chain rule). */
    ERROR,
    /** In shadow mode it would have answered itself; the request went on. */
    SHADOW
  }

  /**
   * One filter invocation's decision; a filter behind a retrying one may decide several times.
   *
   * @param plugin the plugin name
   * @param decision what it did
   * @param error the failure for {@link Decision#ERROR}, else null
   */
  public record PluginDecision(String plugin, Decision decision, Throwable error) {
    /**
     * Creates a decision.
     *
     * @param plugin the plugin name
     * @param decision what it did
     * @param error the failure, or null
     */
    public PluginDecision {
      requireNonNull(plugin, "plugin");
      requireNonNull(decision, "decision");
    }

    @Override
    public String toString() {
      return plugin + "=" + decision + (error == null ? "" : "(" + error.getMessage() + ")");
    }
  }

  private final int status;
  private final Headers headers;
  private final byte[] body;
  private final ProxyResponse response;
  private final String answeredBy;
  private final Throwable failure;
  private final String failedPlugin;
  private final ProxyRequest request;
  private final TestRequestContext context;
  private final List<PluginDecision> decisions;
  private final List<UpstreamRequest> upstreamRequests;

  private TestResponse(
      int status,
      Headers headers,
      byte[] body,
      ProxyResponse response,
      String answeredBy,
      Throwable failure,
      String failedPlugin,
      TestProxyRequest request,
      RunTrace trace) {
    this.status = status;
    this.headers = headers;
    this.body = body;
    this.response = response;
    this.answeredBy = answeredBy;
    this.failure = failure;
    this.failedPlugin = failedPlugin;
    this.request = request;
    this.context = request.context();
    this.decisions = trace.decisions();
    this.upstreamRequests = trace.attempts();
  }

  static TestResponse of(
      ProxyResponse response, String answeredBy, TestProxyRequest request, RunTrace trace) {
    byte[] body =
        response instanceof UpstreamResponse upstream
            ? upstream.body()
            : response.localBody().map(byte[]::clone).orElse(new byte[0]);
    return new TestResponse(
        response.status(),
        response.headers(),
        body,
        response,
        answeredBy,
        null,
        null,
        request,
        trace);
  }

  static TestResponse failed(
      int status, Throwable failure, String plugin, TestProxyRequest request, RunTrace trace) {
    return new TestResponse(
        status, Headers.create(), new byte[0], null, null, failure, plugin, request, trace);
  }

  static TestResponse local(int status, String text, TestProxyRequest request, RunTrace trace) {
    ProxyResponse response = ProxyResponse.of(status, text);
    return of(response, null, request, trace);
  }

  /**
   * The HTTP status the client would get.
   *
   * @return the status
   */
  public int status() {
    return status;
  }

  /**
   * The response headers.
   *
   * @return the headers (empty for failures)
   */
  public Headers headers() {
    return headers;
  }

  /**
   * The first value of a response header.
   *
   * @param name the name, any case
   * @return the value, or null when absent
   */
  public String header(String name) {
    return headers.get(name);
  }

  /**
   * The body: the upstream's body for upstream responses, the local body for responses filters
   * made.
   *
   * @return a copy of the bytes
   */
  public byte[] body() {
    return body.clone();
  }

  /**
   * The body as UTF-8 text.
   *
   * @return the text
   */
  public String bodyText() {
    return new String(body, StandardCharsets.UTF_8);
  }

  /**
   * Whether the response came from the upstream (true) or was made by a filter or the proxy.
   *
   * @return {@link ProxyResponse#fromUpstream()} of the final response; false for failures
   */
  public boolean fromUpstream() {
    return response != null && response.fromUpstream();
  }

  /**
   * The plugin whose filter made the final response, e.g. the one that answered 401 or the retry
   * filter that gave up with its own 503.
   *
   * @return the plugin name; empty when the response came from the upstream, from the proxy itself,
   *     or the send failed
   */
  public Optional<String> answeredBy() {
    return Optional.ofNullable(answeredBy);
  }

  /**
   * Every decision the chain runner reported, in the order the filters completed (innermost first).
   *
   * @return the decisions
   */
  public List<PluginDecision> decisions() {
    return decisions;
  }

  /**
   * The last decision a plugin made in this send.
   *
   * @param plugin the plugin name
   * @return the decision
   * @throws AssertionError if the plugin made none (it did not run)
   */
  public Decision decision(String plugin) {
    requireNonNull(plugin, "plugin");
    for (int i = decisions.size() - 1; i >= 0; i--) {
      if (decisions.get(i).plugin().equals(plugin)) {
        return decisions.get(i).decision();
      }
    }
    throw new AssertionError("plugin '" + plugin + "' made no decision; decisions: " + decisions);
  }

  /**
   * The access-log response flags filters (or the harness, for unhandled upstream failures) set.
   *
   * @return the flags
   */
  public Set<ResponseFlag> responseFlags() {
    return context.responseFlags();
  }

  /**
   * Why the send failed, if it did; see the class comment.
   *
   * @return the failure, or empty for a normal response
   */
  public Optional<Throwable> failure() {
    return Optional.ofNullable(failure);
  }

  /**
   * The plugin whose filter failed.
   *
   * @return the plugin name, or empty when no filter failed
   */
  public Optional<String> failedPlugin() {
    return Optional.ofNullable(failedPlugin);
  }

  /**
   * The final response object as the chain returned it.
   *
   * @return the response, or empty for failures
   */
  public Optional<ProxyResponse> response() {
    return Optional.ofNullable(response);
  }

  /**
   * The request the harness made for this send, after filters changed it.
   *
   * @return the request
   */
  public ProxyRequest request() {
    return request;
  }

  /**
   * The request's context, with the attributes and flags filters set.
   *
   * @return the context
   */
  public TestRequestContext context() {
    return context;
  }

  /**
   * The attempts this send made at the upstream, in order.
   *
   * @return the attempts (empty if the chain never reached the upstream)
   */
  public List<UpstreamRequest> upstreamRequests() {
    return upstreamRequests;
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("TestResponse{status=").append(status);
    sb.append(fromUpstream() ? ", from upstream" : "");
    if (answeredBy != null) {
      sb.append(", answeredBy=").append(answeredBy);
    }
    if (failure != null) {
      sb.append(", failure=").append(failure);
    }
    return sb.append(", decisions=")
        .append(decisions)
        .append(", flags=")
        .append(responseFlags())
        .append(", attempts=")
        .append(upstreamRequests.size())
        .append('}')
        .toString();
  }
}
