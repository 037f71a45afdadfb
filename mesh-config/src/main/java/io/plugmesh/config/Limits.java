package io.plugmesh.config;

import java.time.Duration;

/**
 * Protocol bounds and timeouts of the proxy. Every default lives in {@link #DEFAULTS} and is
 * documented in {@code docs/limits.md}; the names are the YAML keys under {@code limits:}.
 *
 * @param maxHeaderBytes the largest request header block (HTTP/1.1 header lines, HTTP/2 header list
 *     size); larger answers 431
 * @param maxHeaderCount the most request header fields; more answers 431
 * @param maxUriBytes the longest request target; longer answers 414
 * @param maxConcurrentStreams HTTP/2 streams per downstream connection (SETTINGS)
 * @param maxResetsPerWindow HTTP/2 RST_STREAM frames tolerated per {@code resetWindow} before the
 *     connection is closed (Rapid Reset / MadeYouReset defence)
 * @param resetWindow the window for {@code maxResetsPerWindow}
 * @param idleTimeout a downstream connection with no request in flight is closed after this
 * @param requestHeadersTimeout a request's header block must arrive within this, else 408
 * @param defaultRouteTimeout the route timeout when a route sets none; a miss answers 504
 * @param maxPendingBodyBytes bytes of request body the proxy holds while an upstream connects
 * @param drainTimeout how long in-flight requests may finish on shutdown
 * @param blockedLoopThreshold an event loop inside one plugin's code for longer than this counts as
 *     blocked: the plugin is named in the log and counted
 * @param quarantineBlockingPlugins whether a plugin that blocked an event loop is quarantined: its
 *     routes answer 503 until the next config change
 */
public record Limits(
    int maxHeaderBytes,
    int maxHeaderCount,
    int maxUriBytes,
    int maxConcurrentStreams,
    int maxResetsPerWindow,
    Duration resetWindow,
    Duration idleTimeout,
    Duration requestHeadersTimeout,
    Duration defaultRouteTimeout,
    int maxPendingBodyBytes,
    Duration drainTimeout,
    Duration blockedLoopThreshold,
    boolean quarantineBlockingPlugins) {

  /** The defaults; see {@code docs/limits.md}. */
  public static final Limits DEFAULTS =
      new Limits(
          60 * 1024,
          100,
          8 * 1024,
          100,
          200,
          Duration.ofSeconds(30),
          Duration.ofSeconds(300),
          Duration.ofSeconds(10),
          Duration.ofSeconds(15),
          1024 * 1024,
          Duration.ofSeconds(10),
          Duration.ofMillis(100),
          false);
}
