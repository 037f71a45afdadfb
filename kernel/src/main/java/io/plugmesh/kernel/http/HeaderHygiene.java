package io.plugmesh.kernel.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import io.plugmesh.config.HeadersWithUnderscores;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Header rules every hop applies: hop-by-hop removal, header names with underscores, forwarding
 * headers, request ids.
 */
public final class HeaderHygiene {
  private HeaderHygiene() {}

  /** Hop-by-hop headers (RFC 9110 7.6.1) plus legacy ones proxies must not forward. */
  private static final List<CharSequence> HOP_BY_HOP =
      List.of(
          HttpHeaderNames.CONNECTION,
          AsciiString.cached("keep-alive"),
          AsciiString.cached("proxy-connection"),
          HttpHeaderNames.PROXY_AUTHENTICATE,
          HttpHeaderNames.PROXY_AUTHORIZATION,
          HttpHeaderNames.TRANSFER_ENCODING,
          HttpHeaderNames.UPGRADE,
          HttpHeaderNames.EXPECT,
          AsciiString.cached("http2-settings"),
          // Netty's HTTP/2 to HTTP/1.1 conversion adds these; they never go on the wire.
          AsciiString.cached("x-http2-stream-id"),
          AsciiString.cached("x-http2-scheme"),
          AsciiString.cached("x-http2-path"),
          AsciiString.cached("x-http2-stream-dependency-id"),
          AsciiString.cached("x-http2-stream-weight"));

  // AsciiString names hash once; a String name is hashed again on every header lookup.
  /** The request id header. */
  public static final AsciiString REQUEST_ID = AsciiString.cached("x-request-id");

  /** The forwarding client chain. */
  public static final AsciiString FORWARDED_FOR = AsciiString.cached("x-forwarded-for");

  /** The scheme the client used. */
  public static final AsciiString FORWARDED_PROTO = AsciiString.cached("x-forwarded-proto");

  /**
   * Removes hop-by-hop headers, including those the Connection header names. {@code te} survives
   * only as {@code trailers} (gRPC needs it).
   *
   * @param headers request, response or trailer headers, changed in place
   */
  public static void stripHopByHop(HttpHeaders headers) {
    if (headers.isEmpty()) {
      return;
    }
    if (headers.contains(HttpHeaderNames.CONNECTION)) {
      for (String value : headers.getAll(HttpHeaderNames.CONNECTION)) {
        for (String token : value.split(",")) {
          String name = token.trim().toLowerCase(Locale.ROOT);
          if (!name.isEmpty() && !name.equals("te")) {
            headers.remove(name);
          }
        }
      }
    }
    for (CharSequence name : HOP_BY_HOP) {
      headers.remove(name);
    }
    String te = headers.get(HttpHeaderNames.TE);
    if (te != null) {
      headers.remove(HttpHeaderNames.TE);
      if (te.toLowerCase(Locale.ROOT).contains("trailers")) {
        headers.set(HttpHeaderNames.TE, "trailers");
      }
    }
  }

  /**
   * Applies a listener's {@code headersWithUnderscores} rule to a request head: {@code allow}
   * changes nothing, {@code drop} removes every header whose name has an underscore, {@code reject}
   * names the first one so the request can be refused.
   *
   * @param headers the request headers, changed in place under {@code drop}
   * @param rule the listener's rule
   * @return under {@code reject}, the first name with an underscore; otherwise null
   */
  public static String underscoredName(HttpHeaders headers, HeadersWithUnderscores rule) {
    if (rule == HeadersWithUnderscores.ALLOW || headers.isEmpty()) {
      return null;
    }
    List<CharSequence> found = null;
    Iterator<Map.Entry<CharSequence, CharSequence>> it = headers.iteratorCharSequence();
    while (it.hasNext()) {
      CharSequence name = it.next().getKey();
      if (!hasUnderscore(name)) {
        continue;
      }
      if (rule == HeadersWithUnderscores.REJECT) {
        return name.toString();
      }
      if (found == null) {
        found = new ArrayList<>(2);
      }
      found.add(name);
    }
    if (found != null) {
      for (CharSequence name : found) {
        headers.remove(name);
      }
    }
    return null;
  }

  private static boolean hasUnderscore(CharSequence name) {
    for (int i = 0; i < name.length(); i++) {
      if (name.charAt(i) == '_') {
        return true;
      }
    }
    return false;
  }

  /**
   * Appends the client to {@code x-forwarded-for} and sets {@code x-forwarded-proto}.
   *
   * @param headers the request headers, changed in place
   * @param clientIp the downstream client's address
   * @param scheme {@code http} or {@code https}
   */
  public static void setForwarded(HttpHeaders headers, String clientIp, String scheme) {
    String prior = headers.get(FORWARDED_FOR);
    if (prior != null && headers.getAll(FORWARDED_FOR).size() > 1) {
      prior = String.join(", ", headers.getAll(FORWARDED_FOR));
    }
    headers.set(
        FORWARDED_FOR, prior == null || prior.isBlank() ? clientIp : prior + ", " + clientIp);
    headers.set(FORWARDED_PROTO, scheme);
  }

  /**
   * Returns the request id, generating one (UUID v4 form) when the client sent none.
   *
   * @param headers the request headers; a generated id is set on them
   * @return the id
   */
  public static String ensureRequestId(HttpHeaders headers) {
    String id = headers.get(REQUEST_ID);
    if (id != null && !id.isBlank() && id.length() <= 128) {
      return id;
    }
    id = randomUuid();
    headers.set(REQUEST_ID, id);
    return id;
  }

  private static String randomUuid() {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    long hi = (r.nextLong() & ~0xF000L) | 0x4000L;
    long lo = (r.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
    return new java.util.UUID(hi, lo).toString();
  }
}
