package io.plugmesh.kernel.proxy;

import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.plugmesh.filters.ContextKeys;
import io.plugmesh.filters.advanced.ResponseFlag;
import io.plugmesh.filters.advanced.TraceContext;
import io.plugmesh.kernel.body.RequestBody;
import io.plugmesh.kernel.chain.KernelRequest;
import io.plugmesh.kernel.http.HeaderHygiene;
import io.plugmesh.kernel.observe.RequestLog;
import io.plugmesh.kernel.reply.ResponseWriter;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What one exchange reports when it ends: the response flags and upstream timing gathered as it
 * runs, then one {@link RequestLog} for metrics and, when the access log is on, with the request's
 * header-derived fields too. Confined to the exchange's event loop.
 */
final class ExchangeRecord {
  private static final Logger log = LoggerFactory.getLogger(ExchangeRecord.class);

  private final ListenerContext listener;
  private final String peerIdentity;
  private final long startNanos = System.nanoTime();
  private final Set<ResponseFlag> flags = EnumSet.noneOf(ResponseFlag.class);
  private long upstreamHeadNanos = -1;
  private String upstreamHost;

  ExchangeRecord(ListenerContext listener, String peerIdentity) {
    this.listener = listener;
    this.peerIdentity = peerIdentity;
  }

  void flag(ResponseFlag flag) {
    flags.add(flag);
  }

  void unflag(ResponseFlag flag) {
    flags.remove(flag);
  }

  void upstreamHost(String address) {
    upstreamHost = address;
  }

  /** The first response head from an upstream arrived: the upstream service time ends. */
  void upstreamHeadArrived() {
    if (upstreamHeadNanos < 0) {
      upstreamHeadNanos = System.nanoTime() - startNanos;
    }
  }

  /**
   * Reports the exchange to metrics and the access log, once when it ends. Flags filters added are
   * merged in; an exchange a plugin answered without any other flag is a local response.
   */
  void report(
      ResponseWriter writer,
      RequestBody body,
      HttpRequest head,
      Routing.Routed routed,
      String answeringPlugin) {
    RequestLog entry =
        entry(
            writer,
            body,
            head,
            routed == null ? null : routed.request(),
            routed == null ? null : routed.route().name(),
            routed == null ? null : routed.cluster().config().name(),
            answeringPlugin);
    try {
      listener.runtime().record(entry);
    } catch (RuntimeException e) {
      log.warn("recording a request failed", e);
    }
  }

  private RequestLog entry(
      ResponseWriter writer,
      RequestBody body,
      HttpRequest head,
      KernelRequest request,
      String route,
      String cluster,
      String answeringPlugin) {
    if (request != null) {
      flags.addAll(request.kernelContext().flags());
    }
    if (flags.isEmpty() && answeringPlugin != null) {
      flags.add(ResponseFlag.LOCAL_RESPONSE);
    }
    long durationNanos = System.nanoTime() - startNanos;
    if (!listener.runtime().accessLogged()) {
      // Metrics only: none of the fields only the access log prints.
      return new RequestLog(
          Instant.EPOCH,
          null,
          null,
          writer.protocol(),
          writer.status(),
          flags,
          body.bytesReceived(),
          writer.bytesSent(),
          durationNanos,
          upstreamHeadNanos,
          null,
          null,
          null,
          null,
          null,
          route,
          cluster,
          answeringPlugin,
          null,
          null,
          listener.name());
    }
    HttpHeaders headers = head == null ? EmptyHttpHeaders.INSTANCE : head.headers();
    return new RequestLog(
        Instant.now().minusNanos(durationNanos),
        head == null ? "-" : head.method().name(),
        request != null ? request.path() : head == null ? "-" : head.uri(),
        writer.protocol(),
        writer.status(),
        flags,
        body.bytesReceived(),
        writer.bytesSent(),
        durationNanos,
        upstreamHeadNanos,
        headers.get(HeaderHygiene.FORWARDED_FOR),
        headers.get(HttpHeaderNames.USER_AGENT),
        headers.get(HeaderHygiene.REQUEST_ID),
        headers.get(HttpHeaderNames.HOST),
        upstreamHost,
        route,
        cluster,
        answeringPlugin,
        request == null
            ? null
            : request.context().get(ContextKeys.TRACE).map(TraceContext::traceId).orElse(null),
        peerIdentity,
        listener.name());
  }
}
