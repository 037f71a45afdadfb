package io.plugmesh.kernel.observe;

import static java.util.Objects.requireNonNull;

import io.plugmesh.filters.advanced.ResponseFlag;
import java.time.Instant;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;

/**
 * One finished request as the data path saw it: the input of {@link ProxyMetrics#record} and {@link
 * AccessLogger#log}. Header-derived strings are untrusted and may be null when absent; the
 * consumers bound and escape them.
 *
 * @param startTime when the first byte of the request arrived
 * @param method the request method, e.g. {@code GET}
 * @param path the request target as received (path and query)
 * @param protocol the downstream protocol, e.g. {@code HTTP/1.1}, {@code HTTP/2}
 * @param status the response status sent downstream, 0 if none was sent
 * @param flags why the response is what it is; empty when nothing special happened
 * @param bytesReceived request body bytes received from downstream
 * @param bytesSent response body bytes sent downstream
 * @param durationNanos from the first request byte to the last response byte
 * @param upstreamServiceTimeNanos time the upstream took to answer, -1 if no upstream answered
 * @param forwardedFor the {@code x-forwarded-for} header, or null
 * @param userAgent the {@code user-agent} header, or null
 * @param requestId the {@code x-request-id} header (given or generated), or null
 * @param authority the {@code :authority} / {@code host} header, or null
 * @param upstreamHost the upstream address that served the request, or null
 * @param route the matched route name, or null when no route matched
 * @param cluster the upstream cluster name, or null
 * @param answeringPlugin the plugin that answered locally (e.g. a 401 or 429), or null
 * @param traceId the trace id, or null
 * @param peerIdentity the downstream mTLS identity, or null
 * @param listener the name of the listener that accepted the request
 */
public record RequestLog(
    Instant startTime,
    String method,
    String path,
    String protocol,
    int status,
    Set<ResponseFlag> flags,
    long bytesReceived,
    long bytesSent,
    long durationNanos,
    long upstreamServiceTimeNanos,
    String forwardedFor,
    String userAgent,
    String requestId,
    String authority,
    String upstreamHost,
    String route,
    String cluster,
    String answeringPlugin,
    String traceId,
    String peerIdentity,
    String listener) {

  /** The text of an empty flag set, as in Envoy's access log. */
  public static final String NO_FLAGS = "-";

  public RequestLog {
    requireNonNull(startTime, "startTime");
    requireNonNull(flags, "flags");
    requireNonNull(listener, "listener");
    flags = flags.isEmpty() ? Set.of() : Collections.unmodifiableSet(EnumSet.copyOf(flags));
  }

  /**
   * The flags as Envoy prints them.
   *
   * @return {@code -} when there are none, otherwise the codes joined by {@code ,} in enum order
   */
  public String flagsText() {
    if (flags.isEmpty()) {
      return NO_FLAGS;
    }
    StringBuilder text = new StringBuilder(flags.size() * 3);
    for (ResponseFlag flag : flags) {
      if (text.length() > 0) {
        text.append(',');
      }
      text.append(flag.code());
    }
    return text.toString();
  }
}
