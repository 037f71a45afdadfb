package io.plugmesh.kernel.admin;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.timeout.IdleStateEvent;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;

/** Routes admin requests to their endpoint on the admin worker and writes the answers. */
@Sharable
final class AdminHandler extends SimpleChannelInboundHandler<FullHttpRequest> {

  private static final Logger LOG = LoggerFactory.getLogger(AdminHandler.class);
  private static final String JSON = "application/json";
  private static final String TEXT = "text/plain; charset=utf-8";

  /** The one endpoint that changes something, and so the one answering only POST. */
  static final String RELOAD_PLUGINS = "/plugins/reload";

  private static final List<String> ENDPOINTS =
      List.of("/live", "/ready", "/metrics", "/config", "/plugins", RELOAD_PLUGINS);

  /** The JSON mapper, built on the first JSON answer rather than when the admin port opens. */
  private static final class Json {
    static final JsonMapper MAPPER = JsonMapper.builder().build();
  }

  /** Endpoints open without the admin token: probes and scrapes. */
  private static final List<String> OPEN = List.of("/live", "/ready", "/metrics");

  /** What replaces a secret value in {@code /config}. */
  static final String REDACTED = "<redacted>";

  private final AdminState state;
  private final Executor worker;
  private final byte[] expectedAuthorization;

  AdminHandler(AdminState state, Executor worker) {
    this(state, worker, null);
  }

  AdminHandler(AdminState state, Executor worker, String token) {
    this.state = state;
    this.worker = worker;
    this.expectedAuthorization =
        token == null ? null : ("Bearer " + token).getBytes(StandardCharsets.UTF_8);
  }

  private boolean authorized(FullHttpRequest request) {
    if (expectedAuthorization == null) {
      return true;
    }
    String header = request.headers().get(HttpHeaderNames.AUTHORIZATION);
    return header != null
        && MessageDigest.isEqual(
            expectedAuthorization, header.trim().getBytes(StandardCharsets.UTF_8));
  }

  /**
   * A copy of a config tree with secret values replaced by {@link #REDACTED}: values of fields
   * named like a secret ({@link #isSecretField}), at any depth (plugin config included).
   */
  @SuppressWarnings("unchecked")
  static Object redact(Object node) {
    if (node instanceof Map<?, ?> map) {
      Map<String, Object> out = new LinkedHashMap<>();
      for (Map.Entry<?, ?> e : map.entrySet()) {
        String name = String.valueOf(e.getKey());
        out.put(
            name, isSecretField(name) && e.getValue() != null ? REDACTED : redact(e.getValue()));
      }
      return out;
    }
    if (node instanceof List<?> list) {
      List<Object> out = new ArrayList<>(list.size());
      for (Object o : list) {
        out.add(redact(o));
      }
      return out;
    }
    return node;
  }

  /**
   * Whether a field holds a secret: its name contains secret, password, passwd, token, credential,
   * or ends with key (e.g. {@code hmacKey}, {@code apiKey}); names of files, paths and folders
   * holding secrets (e.g. {@code privateKeyFile}) are not secrets themselves.
   */
  static boolean isSecretField(String name) {
    String n = name.toLowerCase(Locale.ROOT).replace("_", "").replace("-", "");
    if (n.endsWith("file") || n.endsWith("path") || n.endsWith("dir")) {
      return false;
    }
    return n.contains("secret")
        || n.contains("password")
        || n.contains("passwd")
        || n.contains("token")
        || n.contains("credential")
        || n.endsWith("key");
  }

  /** One answer: status, content type and body. */
  record Answer(HttpResponseStatus status, String contentType, byte[] body) {
    static Answer text(HttpResponseStatus status, String body) {
      return new Answer(status, TEXT, (body + "\n").getBytes(StandardCharsets.UTF_8));
    }

    static Answer json(HttpResponseStatus status, Object value) {
      return new Answer(status, JSON, Json.MAPPER.writeValueAsBytes(value));
    }
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
    if (request.decoderResult().isFailure()) {
      Answer bad =
          Answer.text(
              HttpResponseStatus.BAD_REQUEST, "admin: malformed request (expected HTTP/1.1)");
      ctx.writeAndFlush(response(bad, false)).addListener(ChannelFutureListener.CLOSE);
      return;
    }
    boolean keepAlive = HttpUtil.isKeepAlive(request);
    String path = new QueryStringDecoder(request.uri()).path();
    if (!ENDPOINTS.contains(path)) {
      write(
          ctx,
          Answer.text(
              HttpResponseStatus.NOT_FOUND,
              "admin: no endpoint "
                  + sanitize(path)
                  + " (expected one of "
                  + String.join(", ", ENDPOINTS)
                  + ")"),
          keepAlive);
      return;
    }
    HttpMethod allowed = RELOAD_PLUGINS.equals(path) ? HttpMethod.POST : HttpMethod.GET;
    if (!allowed.equals(request.method())) {
      FullHttpResponse notAllowed =
          response(
              Answer.text(
                  HttpResponseStatus.METHOD_NOT_ALLOWED,
                  "admin: method "
                      + sanitize(request.method().name())
                      + " (expected: "
                      + allowed.name()
                      + ")"),
              keepAlive);
      notAllowed.headers().set(HttpHeaderNames.ALLOW, allowed.name());
      ctx.writeAndFlush(notAllowed);
      return;
    }
    if (allowed == HttpMethod.POST && request.headers().contains(HttpHeaderNames.ORIGIN)) {
      // Browsers send Origin on cross-site POSTs; a web page must not trigger admin actions.
      write(
          ctx,
          Answer.text(
              HttpResponseStatus.FORBIDDEN,
              "admin: requests with an Origin header are refused (expected: a non-browser client)"),
          keepAlive);
      return;
    }
    if (!OPEN.contains(path) && !authorized(request)) {
      FullHttpResponse unauthorized =
          response(
              Answer.text(
                  HttpResponseStatus.UNAUTHORIZED,
                  "admin: "
                      + path
                      + " needs the admin token (expected: Authorization: Bearer <token>)"),
              keepAlive);
      unauthorized.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer");
      ctx.writeAndFlush(unauthorized);
      return;
    }
    String accept = request.headers().get(HttpHeaderNames.ACCEPT);
    try {
      worker.execute(() -> write(ctx, answer(path, accept), keepAlive));
    } catch (RejectedExecutionException e) {
      write(
          ctx,
          Answer.text(HttpResponseStatus.SERVICE_UNAVAILABLE, "admin: busy, try again"),
          keepAlive);
    }
  }

  /** Runs one endpoint; on the admin worker. */
  private Answer answer(String path, String accept) {
    try {
      switch (path) {
        case "/live":
          return state.live()
              ? Answer.text(HttpResponseStatus.OK, "live")
              : Answer.text(HttpResponseStatus.SERVICE_UNAVAILABLE, "not live");
        case "/ready":
          return ready();
        case "/metrics":
          String contentType = metricsContentType(accept);
          return new Answer(
              HttpResponseStatus.OK,
              contentType,
              state.scrapeMetrics(contentType).getBytes(StandardCharsets.UTF_8));
        case "/config":
          Map<String, Object> config = new LinkedHashMap<>();
          config.put("version", state.configVersion());
          config.put("config", redact(state.configTree()));
          return Answer.json(HttpResponseStatus.OK, config);
        case "/plugins":
          return Answer.json(HttpResponseStatus.OK, state.plugins());
        case RELOAD_PLUGINS:
          return reloadPlugins();
        default:
          throw new IllegalStateException("admin: unrouted path " + path);
      }
    } catch (RuntimeException e) {
      LOG.warn("admin: {} failed", path, e);
      return Answer.text(
          HttpResponseStatus.INTERNAL_SERVER_ERROR, "admin: " + path + " failed, see the log");
    }
  }

  private Answer reloadPlugins() {
    try {
      return Answer.json(HttpResponseStatus.OK, state.reloadPlugins());
    } catch (UnsupportedOperationException e) {
      return Answer.text(HttpResponseStatus.NOT_IMPLEMENTED, "admin: " + e.getMessage());
    } catch (RuntimeException e) {
      LOG.warn("admin: plugin reload refused: {}", e.getMessage());
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("changed", false);
      body.put("error", String.valueOf(e.getMessage()));
      return Answer.json(HttpResponseStatus.CONFLICT, body);
    }
  }

  private Answer ready() {
    Readiness readiness = state.readiness();
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("ready", readiness.ready());
    body.put("stale", readiness.stale());
    body.put("detail", readiness.detail());
    body.put("configVersion", state.configVersion());
    return Answer.json(
        readiness.ready() ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE, body);
  }

  /** OpenMetrics when the client asks for it, else the Prometheus text format 0.0.4. */
  static String metricsContentType(String accept) {
    return accept != null && accept.contains("application/openmetrics-text")
        ? AdminServer.OPENMETRICS_TEXT
        : AdminServer.PROMETHEUS_TEXT;
  }

  private static void write(ChannelHandlerContext ctx, Answer answer, boolean keepAlive) {
    ctx.writeAndFlush(response(answer, keepAlive));
  }

  private static FullHttpResponse response(Answer answer, boolean keepAlive) {
    FullHttpResponse response =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1, answer.status(), Unpooled.wrappedBuffer(answer.body()));
    response
        .headers()
        .set(HttpHeaderNames.CONTENT_TYPE, answer.contentType())
        .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE)
        .setInt(HttpHeaderNames.CONTENT_LENGTH, answer.body().length);
    HttpUtil.setKeepAlive(response, keepAlive);
    return response;
  }

  /** A path or method echoed back, bounded and printable. */
  private static String sanitize(String value) {
    StringBuilder b = new StringBuilder(Math.min(value.length(), 200));
    for (int i = 0; i < value.length() && i < 200; i++) {
      char c = value.charAt(i);
      b.append(c >= 0x20 && c < 0x7f ? c : '?');
    }
    return b.toString();
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
    if (evt instanceof IdleStateEvent) {
      ctx.close();
      return;
    }
    super.userEventTriggered(ctx, evt);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    LOG.debug("admin: connection {} failed", ctx.channel().remoteAddress(), cause);
    ctx.close();
  }
}
