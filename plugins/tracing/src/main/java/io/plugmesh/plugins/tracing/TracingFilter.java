package io.plugmesh.plugins.tracing;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.opentelemetry.semconv.ClientAttributes;
import io.opentelemetry.semconv.ErrorAttributes;
import io.opentelemetry.semconv.HttpAttributes;
import io.opentelemetry.semconv.NetworkAttributes;
import io.opentelemetry.semconv.ServerAttributes;
import io.opentelemetry.semconv.UrlAttributes;
import io.opentelemetry.semconv.UserAgentAttributes;
import io.plugmesh.filters.ContextKeys;
import io.plugmesh.filters.Filter;
import io.plugmesh.filters.FilterChain;
import io.plugmesh.filters.FilterMetrics;
import io.plugmesh.filters.Headers;
import io.plugmesh.filters.ProxyRequest;
import io.plugmesh.filters.ProxyResponse;
import io.plugmesh.filters.advanced.ResponseFlag;
import io.plugmesh.filters.advanced.TraceContext;
import io.plugmesh.filters.advanced.UpstreamAttempt;
import io.plugmesh.filters.advanced.UpstreamException;
import java.net.InetSocketAddress;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * Opens a SERVER span per request and a CLIENT span per upstream attempt, propagates the trace to
 * the upstream in the configured formats, and publishes the trace id as {@link ContextKeys#TRACE}
 * for the access log. Spans are named {@code {method} {route}} and carry OpenTelemetry HTTP
 * semantic-convention attributes.
 */
final class TracingFilter implements Filter {

  /** Response flags of the request, Envoy codes joined by commas. */
  static final AttributeKey<String> RESPONSE_FLAGS =
      AttributeKey.stringKey("plugmesh.response_flags");

  /** The request id ({@code x-request-id}). */
  static final AttributeKey<String> REQUEST_ID = AttributeKey.stringKey("plugmesh.request_id");

  /** {@code error.type} of a request or attempt the proxy or client dropped. */
  static final String CANCELLED = "cancelled";

  private static final Set<String> KNOWN_METHODS =
      Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH");

  private final Tracer tracer;
  private final Propagation propagation;
  private final Sampler routeSampler;
  private final String forceHeader;
  private final FilterMetrics.Counter[] spans = new FilterMetrics.Counter[4];

  TracingFilter(TracingConfig config, Tracer tracer, FilterMetrics metrics) {
    this.tracer = tracer;
    this.propagation = new Propagation(config.extract(), config.inject());
    this.routeSampler = RouteSampler.forRoute(config.sampling());
    this.forceHeader = config.sampling().forceHeader();
    spans[0] = metrics.counter("spans", "kind", "server", "sampled", "true");
    spans[1] = metrics.counter("spans", "kind", "server", "sampled", "false");
    spans[2] = metrics.counter("spans", "kind", "client", "sampled", "true");
    spans[3] = metrics.counter("spans", "kind", "client", "sampled", "false");
  }

  @Override
  public CompletionStage<ProxyResponse> filter(ProxyRequest request, FilterChain chain) {
    Headers headers = request.headers();
    Context parent = propagation.extract(headers);
    Propagation.strip(headers);
    Sampler sampler = forced(headers) ? Sampler.alwaysOn() : routeSampler;

    String method = request.method();
    String route = request.context().routeName();
    String knownMethod = KNOWN_METHODS.contains(method) ? method : "_OTHER";
    SpanBuilder builder =
        tracer
            .spanBuilder(spanName(knownMethod, route))
            .setSpanKind(SpanKind.SERVER)
            .setParent(parent.with(RouteSampler.KEY, sampler))
            .setAttribute(HttpAttributes.HTTP_REQUEST_METHOD, knownMethod)
            .setAttribute(HttpAttributes.HTTP_ROUTE, route)
            .setAttribute(UrlAttributes.URL_PATH, pathOnly(request.path()))
            .setAttribute(UrlAttributes.URL_SCHEME, request.scheme())
            .setAttribute(REQUEST_ID, request.context().requestId());
    if (!knownMethod.equals(method)) {
      builder.setAttribute(HttpAttributes.HTTP_REQUEST_METHOD_ORIGINAL, method);
    }
    setHostPort(builder, request.authority(), true);
    request
        .context()
        .get(ContextKeys.CLIENT_ADDRESS)
        .map(TracingFilter::hostAddress)
        .ifPresent(a -> builder.setAttribute(ClientAttributes.CLIENT_ADDRESS, a));
    String version = protocolVersion(request.protocol());
    if (version != null) {
      builder.setAttribute(NetworkAttributes.NETWORK_PROTOCOL_VERSION, version);
    }
    String userAgent = headers.get("user-agent");
    if (userAgent != null) {
      builder.setAttribute(UserAgentAttributes.USER_AGENT_ORIGINAL, userAgent);
    }
    Span server = builder.startSpan();
    SpanContext sc = server.getSpanContext();
    count(true, sc.isSampled());
    request
        .context()
        .put(ContextKeys.TRACE, new TraceContext(sc.getTraceId(), sc.getSpanId(), sc.isSampled()));

    RequestSpans spans = new RequestSpans(request, server, knownMethod, route);
    request.context().onUpstreamAttempt(spans::onAttempt);

    CompletionStage<ProxyResponse> next;
    try {
      next = chain.proceed(request);
    } catch (RuntimeException e) {
      spans.chainDone(null, e);
      throw e;
    }
    CompletableFuture<ProxyResponse> out = new CompletableFuture<>();
    next.whenComplete(
        (response, error) -> {
          spans.chainDone(response, error);
          if (error != null) {
            out.completeExceptionally(unwrap(error));
          } else if (!out.complete(response) && response != null) {
            response.discard();
          }
        });
    out.whenComplete(
        (r, e) -> {
          if (out.isCancelled()) {
            spans.cancelled();
            try {
              next.toCompletableFuture().cancel(false);
            } catch (UnsupportedOperationException ignored) {
              // Not cancellable: it completes on its own and its response is discarded above.
            }
          }
        });
    return out;
  }

  private boolean forced(Headers headers) {
    String value = headers.get(forceHeader);
    if (value == null) {
      return false;
    }
    String v = value.trim();
    return !v.isEmpty() && !v.equals("0") && !v.equalsIgnoreCase("false");
  }

  private void count(boolean server, boolean sampled) {
    spans[(server ? 0 : 2) + (sampled ? 0 : 1)].increment();
  }

  static String spanName(String method, String route) {
    return ("_OTHER".equals(method) ? "HTTP" : method) + " " + route;
  }

  private static String pathOnly(String path) {
    int q = path.indexOf('?');
    return q < 0 ? path : path.substring(0, q);
  }

  private static String hostAddress(InetSocketAddress address) {
    return address.getAddress() != null
        ? address.getAddress().getHostAddress()
        : address.getHostString();
  }

  static String protocolVersion(String protocol) {
    if (protocol == null) {
      return null;
    }
    return protocol.startsWith("HTTP/") ? protocol.substring("HTTP/".length()) : null;
  }

  /** Sets server.address and server.port from {@code host[:port]} (IPv6 in brackets). */
  static void setHostPort(SpanBuilder builder, String hostPort, boolean omitDefaultPort) {
    if (hostPort == null || hostPort.isEmpty()) {
      return;
    }
    String host = hostPort;
    String port = null;
    if (hostPort.startsWith("[")) {
      int end = hostPort.indexOf(']');
      if (end > 0) {
        host = hostPort.substring(1, end);
        if (hostPort.length() > end + 2 && hostPort.charAt(end + 1) == ':') {
          port = hostPort.substring(end + 2);
        }
      }
    } else {
      int colon = hostPort.lastIndexOf(':');
      if (colon > 0 && hostPort.indexOf(':') == colon) {
        host = hostPort.substring(0, colon);
        port = hostPort.substring(colon + 1);
      }
    }
    builder.setAttribute(ServerAttributes.SERVER_ADDRESS, host);
    if (port != null) {
      try {
        builder.setAttribute(ServerAttributes.SERVER_PORT, (long) Integer.parseInt(port));
      } catch (NumberFormatException ignored) {
        // Not a port: leave it out.
      }
    } else if (!omitDefaultPort) {
      builder.setAttribute(ServerAttributes.SERVER_PORT, 80L);
    }
  }

  static Throwable unwrap(Throwable t) {
    while (t instanceof CompletionException && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  static String flagsText(Set<ResponseFlag> flags) {
    StringBuilder sb = new StringBuilder();
    for (ResponseFlag f : flags) {
      if (sb.length() > 0) {
        sb.append(',');
      }
      sb.append(f.code());
    }
    return sb.toString();
  }

  /**
   * The spans of one request: the server span, and the client span of each attempt. The server span
   * ends when the chain answered, or, for an upstream response, when its attempt ended (its body
   * streamed), so it encloses its client spans.
   */
  private final class RequestSpans {
    private final ProxyRequest request;
    private final Span server;
    private final String method;
    private final String route;
    private ClientSpan last;
    private boolean serverEnded;
    private int pendingStatus = -1;

    RequestSpans(ProxyRequest request, Span server, String method, String route) {
      this.request = request;
      this.server = server;
      this.method = method;
      this.route = route;
    }

    void onAttempt(UpstreamAttempt attempt) {
      SpanBuilder builder =
          tracer
              .spanBuilder(spanName(method, route))
              .setSpanKind(SpanKind.CLIENT)
              .setParent(Context.root().with(server))
              .setAttribute(HttpAttributes.HTTP_REQUEST_METHOD, method)
              .setAttribute(HttpAttributes.HTTP_ROUTE, route)
              .setAttribute(UrlAttributes.URL_FULL, "http://" + attempt.endpoint() + request.path())
              .setAttribute(NetworkAttributes.NETWORK_PEER_ADDRESS, hostOf(attempt.endpoint()));
      setHostPort(builder, attempt.endpoint(), false);
      if (attempt.number() > 1) {
        builder.setAttribute(HttpAttributes.HTTP_REQUEST_RESEND_COUNT, (long) attempt.number() - 1);
      }
      Span client = builder.startSpan();
      count(false, client.getSpanContext().isSampled());
      propagation.inject(Context.root().with(client), attempt.headers());
      ClientSpan cs = new ClientSpan(client);
      synchronized (this) {
        last = cs;
      }
      attempt.onEnd((status, failure) -> attemptEnded(cs, status, failure));
    }

    private void attemptEnded(ClientSpan cs, int status, Throwable failure) {
      Span client = cs.span;
      if (status > 0) {
        client.setAttribute(HttpAttributes.HTTP_RESPONSE_STATUS_CODE, (long) status);
      }
      String errorType = null;
      if (failure != null) {
        errorType = errorType(failure);
      } else if (status >= 400) {
        errorType = Integer.toString(status);
      }
      if (errorType != null) {
        client.setAttribute(ErrorAttributes.ERROR_TYPE, errorType);
        client.setStatus(StatusCode.ERROR);
      }
      client.end();
      int serverStatus;
      synchronized (this) {
        cs.ended = true;
        cs.failure = failure;
        cs.status = status;
        if (cs != last || pendingStatus < 0 || serverEnded) {
          return;
        }
        serverStatus = pendingStatus;
      }
      // The server span waited for this attempt's response body.
      EnumSet<ResponseFlag> flags = flags();
      String serverError = serverStatus >= 500 ? Integer.toString(serverStatus) : null;
      if (failure != null) {
        flags.add(
            failure instanceof CancellationException
                ? ResponseFlag.DOWNSTREAM_CONNECTION_TERMINATION
                : ResponseFlag.UPSTREAM_CONNECTION_TERMINATION);
        serverError = errorType(failure);
      }
      endServer(serverStatus, serverError, flags);
    }

    void chainDone(ProxyResponse response, Throwable error) {
      if (error != null) {
        Throwable cause = unwrap(error);
        EnumSet<ResponseFlag> flags = flags();
        if (cause instanceof UpstreamException up) {
          flags.add(up.kind().flag());
          endServer(up.kind().status(), errorType(up), flags);
        } else if (cause instanceof CancellationException) {
          endServer(0, CANCELLED, flags);
        } else {
          endServer(500, cause.getClass().getName(), flags);
        }
        return;
      }
      if (response == null) {
        endServer(500, "null_response", flags());
        return;
      }
      int status = response.status();
      synchronized (this) {
        if (response.fromUpstream() && last != null && !last.ended) {
          pendingStatus = status; // ends with the attempt
          return;
        }
      }
      EnumSet<ResponseFlag> flags = flags();
      if (!response.fromUpstream() && flags.isEmpty()) {
        flags.add(ResponseFlag.LOCAL_RESPONSE);
      }
      endServer(status, status >= 500 ? Integer.toString(status) : null, flags);
    }

    void cancelled() {
      endServer(0, CANCELLED, flags());
    }

    private EnumSet<ResponseFlag> flags() {
      Set<ResponseFlag> set = request.context().responseFlags();
      return set.isEmpty() ? EnumSet.noneOf(ResponseFlag.class) : EnumSet.copyOf(set);
    }

    private void endServer(int status, String errorType, Set<ResponseFlag> flags) {
      synchronized (this) {
        if (serverEnded) {
          return;
        }
        serverEnded = true;
      }
      if (status > 0) {
        server.setAttribute(HttpAttributes.HTTP_RESPONSE_STATUS_CODE, (long) status);
      }
      if (!flags.isEmpty()) {
        server.setAttribute(RESPONSE_FLAGS, flagsText(flags));
      }
      if (errorType != null) {
        server.setAttribute(ErrorAttributes.ERROR_TYPE, errorType);
        server.setStatus(StatusCode.ERROR);
      }
      server.end();
    }
  }

  static String errorType(Throwable failure) {
    if (failure instanceof UpstreamException up) {
      return up.kind().name().toLowerCase(Locale.ROOT);
    }
    if (failure instanceof CancellationException) {
      return CANCELLED;
    }
    return failure.getClass().getName();
  }

  private static String hostOf(String endpoint) {
    if (endpoint.startsWith("[")) {
      int end = endpoint.indexOf(']');
      return end > 0 ? endpoint.substring(1, end) : endpoint;
    }
    int colon = endpoint.lastIndexOf(':');
    return colon > 0 && endpoint.indexOf(':') == colon ? endpoint.substring(0, colon) : endpoint;
  }

  /** One attempt's client span and how it ended. */
  private static final class ClientSpan {
    final Span span;
    boolean ended;
    int status;
    Throwable failure;

    ClientSpan(Span span) {
      this.span = span;
    }
  }
}
