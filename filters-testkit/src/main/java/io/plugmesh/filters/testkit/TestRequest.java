package io.plugmesh.filters.testkit;

import static java.util.Objects.requireNonNull;

import io.plugmesh.filters.ContextKey;
import io.plugmesh.filters.ContextKeys;
import io.plugmesh.filters.Headers;
import io.plugmesh.filters.ProxyRequest;
import io.plugmesh.filters.advanced.Principal;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * A request to send through a {@link FilterHarness}: an immutable description from which each send
 * makes a fresh {@link ProxyRequest}, so one {@code TestRequest} can be sent many times. Every
 * method returns a changed copy.
 *
 * <pre>{@code
 * TestRequest request = TestRequest.get("/reviews/1")
 *     .header("authorization", "Bearer " + token)
 *     .principal(new Principal("alice", "https://idp.test", Map.of("scope", "reviews.read")));
 * }</pre>
 *
 * <p>Defaults: {@code http}, authority {@value #DEFAULT_AUTHORITY}, {@code HTTP/1.1}, no headers,
 * empty body, client address {@code 127.0.0.1:}{@value #DEFAULT_CLIENT_PORT}, a generated request
 * id (or the {@code x-request-id} header when given).
 */
public final class TestRequest {

  /** The authority used unless one is given. */
  public static final String DEFAULT_AUTHORITY = "test.local";

  /** The client port used unless a client address is given. */
  public static final int DEFAULT_CLIENT_PORT = 49152;

  private static final Set<String> SCHEMES = Set.of("http", "https");
  private static final Set<String> PROTOCOLS = Set.of("HTTP/1.0", "HTTP/1.1", "HTTP/2");

  private String method = "GET";
  private String path = "/";
  private String scheme = "http";
  private String authority = DEFAULT_AUTHORITY;
  private String protocol = "HTTP/1.1";
  private List<Map.Entry<String, String>> headers = List.of();
  private byte[] body = new byte[0];
  private InetSocketAddress clientAddress =
      new InetSocketAddress(InetAddress.getLoopbackAddress(), DEFAULT_CLIENT_PORT);
  private String requestId;
  private Map<ContextKey<?>, Object> attributes = Map.of();
  private boolean exposeBody;

  private TestRequest() {}

  private TestRequest copy() {
    TestRequest c = new TestRequest();
    c.method = method;
    c.path = path;
    c.scheme = scheme;
    c.authority = authority;
    c.protocol = protocol;
    c.headers = headers;
    c.body = body;
    c.clientAddress = clientAddress;
    c.requestId = requestId;
    c.attributes = attributes;
    c.exposeBody = exposeBody;
    return c;
  }

  /**
   * A request with any method.
   *
   * @param method the method, e.g. {@code PATCH} (upper-cased)
   * @param path the path and query, starting with {@code /}
   * @return a new request
   */
  public static TestRequest of(String method, String path) {
    return new TestRequest().method(method).path(path);
  }

  /**
   * A {@code GET} request.
   *
   * @param path the path and query, starting with {@code /}
   * @return a new request
   */
  public static TestRequest get(String path) {
    return of("GET", path);
  }

  /**
   * A {@code POST} request with a UTF-8 text body.
   *
   * @param path the path and query, starting with {@code /}
   * @param body the body
   * @return a new request
   */
  public static TestRequest post(String path, String body) {
    return of("POST", path).body(body);
  }

  /**
   * A {@code PUT} request with a UTF-8 text body.
   *
   * @param path the path and query, starting with {@code /}
   * @param body the body
   * @return a new request
   */
  public static TestRequest put(String path, String body) {
    return of("PUT", path).body(body);
  }

  /**
   * A {@code DELETE} request.
   *
   * @param path the path and query, starting with {@code /}
   * @return a new request
   */
  public static TestRequest delete(String path) {
    return of("DELETE", path);
  }

  /**
   * Sets the method.
   *
   * @param method the method (upper-cased), not empty
   * @return a changed copy
   */
  public TestRequest method(String method) {
    requireNonNull(method, "method");
    if (method.isBlank() || method.chars().anyMatch(Character::isWhitespace)) {
      throw new IllegalArgumentException("method: '" + method + "' (expected: a token like GET)");
    }
    TestRequest c = copy();
    c.method = method.toUpperCase(Locale.ROOT);
    return c;
  }

  /**
   * Sets the path and query.
   *
   * @param path the request target, starting with {@code /}, e.g. {@code /reviews?page=2}
   * @return a changed copy
   */
  public TestRequest path(String path) {
    TestRequest c = copy();
    c.path = checkPath(path);
    return c;
  }

  /**
   * Sets the scheme.
   *
   * @param scheme {@code http} or {@code https}
   * @return a changed copy
   */
  public TestRequest scheme(String scheme) {
    requireNonNull(scheme, "scheme");
    if (!SCHEMES.contains(scheme)) {
      throw new IllegalArgumentException("scheme: '" + scheme + "' (expected: http or https)");
    }
    TestRequest c = copy();
    c.scheme = scheme;
    return c;
  }

  /**
   * Sets the authority ({@code :authority} or {@code Host}).
   *
   * @param authority the host, optionally with a port; empty for none
   * @return a changed copy
   */
  public TestRequest authority(String authority) {
    TestRequest c = copy();
    c.authority = requireNonNull(authority, "authority");
    return c;
  }

  /**
   * Sets the protocol the client spoke.
   *
   * @param protocol {@code HTTP/1.1}, {@code HTTP/2} or {@code HTTP/1.0}
   * @return a changed copy
   */
  public TestRequest protocol(String protocol) {
    requireNonNull(protocol, "protocol");
    if (!PROTOCOLS.contains(protocol)) {
      throw new IllegalArgumentException(
          "protocol: '" + protocol + "' (expected: HTTP/1.1, HTTP/2 or HTTP/1.0)");
    }
    TestRequest c = copy();
    c.protocol = protocol;
    return c;
  }

  /**
   * Adds a header value, keeping earlier values of the same name.
   *
   * @param name the name (not a pseudo-header such as {@code :path})
   * @param value the value
   * @return a changed copy
   */
  public TestRequest header(String name, String value) {
    requireNonNull(name, "name");
    requireNonNull(value, "value");
    if (name.isEmpty() || name.startsWith(":")) {
      throw new IllegalArgumentException(
          "header name: '"
              + name
              + "' (expected: a regular header; set :path, :authority with path(), authority())");
    }
    List<Map.Entry<String, String>> list = new ArrayList<>(headers);
    list.add(Map.entry(name, value));
    TestRequest c = copy();
    c.headers = List.copyOf(list);
    return c;
  }

  /**
   * Adds several headers.
   *
   * @param headers names and values
   * @return a changed copy
   */
  public TestRequest headers(Map<String, String> headers) {
    TestRequest c = this;
    for (Map.Entry<String, String> e : requireNonNull(headers, "headers").entrySet()) {
      c = c.header(e.getKey(), e.getValue());
    }
    return c;
  }

  /**
   * Sets the body.
   *
   * @param body the bytes (copied)
   * @return a changed copy
   */
  public TestRequest body(byte[] body) {
    TestRequest c = copy();
    c.body = requireNonNull(body, "body").clone();
    return c;
  }

  /**
   * Sets the body as UTF-8 text.
   *
   * @param text the body
   * @return a changed copy
   */
  public TestRequest body(String text) {
    return body(requireNonNull(text, "text").getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Makes {@link ProxyRequest#body()} present even when no filter in the chain declared {@link
   * io.plugmesh.filters.advanced.BodyAccess#buffered(int) buffered} body access (normally it is
   * present only then, as in the proxy).
   *
   * @return a changed copy
   */
  public TestRequest exposeBody() {
    TestRequest c = copy();
    c.exposeBody = true;
    return c;
  }

  /**
   * Sets the downstream client's address ({@link ContextKeys#CLIENT_ADDRESS}).
   *
   * @param address the address
   * @return a changed copy
   */
  public TestRequest clientAddress(InetSocketAddress address) {
    TestRequest c = copy();
    c.clientAddress = requireNonNull(address, "address");
    return c;
  }

  /**
   * Presets the authenticated caller ({@link ContextKeys#PRINCIPAL}), as if an authentication
   * plugin earlier in the chain had set it.
   *
   * @param principal the principal
   * @return a changed copy
   */
  public TestRequest principal(Principal principal) {
    return attribute(ContextKeys.PRINCIPAL, principal);
  }

  /**
   * Presets the mTLS peer identity ({@link ContextKeys#PEER_IDENTITY}).
   *
   * @param identity e.g. {@code spiffe://mesh.local/ns/default/sa/reviews}
   * @return a changed copy
   */
  public TestRequest peerIdentity(String identity) {
    return attribute(ContextKeys.PEER_IDENTITY, identity);
  }

  /**
   * Presets a context attribute.
   *
   * @param key the key
   * @param value the value, an instance of the key's type
   * @param <T> the value type
   * @return a changed copy
   */
  public <T> TestRequest attribute(ContextKey<T> key, T value) {
    requireNonNull(key, "key");
    requireNonNull(value, "value of " + key.name());
    Map<ContextKey<?>, Object> map = new LinkedHashMap<>(attributes);
    map.put(key, key.type().cast(value));
    TestRequest c = copy();
    c.attributes = map;
    return c;
  }

  /**
   * Sets the request id; without it the {@code x-request-id} header is used, or one is generated.
   *
   * @param requestId the id
   * @return a changed copy
   */
  public TestRequest requestId(String requestId) {
    TestRequest c = copy();
    c.requestId = requireNonNull(requestId, "requestId");
    return c;
  }

  /**
   * The method.
   *
   * @return the method
   */
  public String method() {
    return method;
  }

  /**
   * The path and query.
   *
   * @return the path
   */
  public String path() {
    return path;
  }

  /**
   * The body.
   *
   * @return a copy of the body bytes
   */
  public byte[] body() {
    return body.clone();
  }

  /**
   * A new {@link ProxyRequest} for calling a filter directly (without a harness), on route {@link
   * TestFilterServices#DEFAULT_ROUTE}. Its body is present only if {@link #exposeBody()} was asked
   * for; it is replayable when it has no body.
   *
   * @return a fresh request with mutable headers and a new {@link TestRequestContext}
   */
  public ProxyRequest toProxyRequest() {
    return newProxyRequest(TestFilterServices.DEFAULT_ROUTE, exposeBody, 0, null);
  }

  boolean exposesBody() {
    return exposeBody;
  }

  int bodyLength() {
    return body.length;
  }

  TestProxyRequest newProxyRequest(
      String routeName, boolean bodyVisible, int replayLimit, RunTrace trace) {
    Headers h = Headers.create();
    for (Map.Entry<String, String> e : headers) {
      h.add(e.getKey(), e.getValue());
    }
    String id = requestId;
    if (id == null) {
      id = h.get("x-request-id");
    }
    if (id == null) {
      id = UUID.randomUUID().toString();
    }
    TestRequestContext context = new TestRequestContext(id, routeName, trace);
    context.put(ContextKeys.ROUTE, routeName);
    context.put(ContextKeys.CLIENT_ADDRESS, clientAddress);
    for (Map.Entry<ContextKey<?>, Object> e : attributes.entrySet()) {
      putUnchecked(context, e.getKey(), e.getValue());
    }
    return new TestProxyRequest(
        method,
        scheme,
        authority,
        path,
        protocol,
        h,
        context,
        body,
        bodyVisible || exposeBody,
        body.length <= replayLimit);
  }

  private static <T> void putUnchecked(TestRequestContext context, ContextKey<T> key, Object v) {
    context.put(key, key.type().cast(v));
  }

  static String checkPath(String path) {
    requireNonNull(path, "path");
    if (!path.startsWith("/")) {
      throw new IllegalArgumentException(
          "path: '" + path + "' (expected: a path and query starting with /)");
    }
    return path;
  }

  @Override
  public String toString() {
    return "TestRequest{"
        + method
        + " "
        + scheme
        + "://"
        + authority
        + path
        + " "
        + protocol
        + ", headers="
        + headers.size()
        + ", bodyBytes="
        + body.length
        + "}";
  }
}
