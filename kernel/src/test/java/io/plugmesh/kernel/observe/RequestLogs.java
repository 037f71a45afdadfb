package io.plugmesh.kernel.observe;

import io.plugmesh.filters.advanced.ResponseFlag;
import java.time.Instant;
import java.util.Set;

/** Builds request logs for tests. */
final class RequestLogs {
  static final Instant START = Instant.parse("2026-03-04T05:06:07.089Z");

  private RequestLogs() {}

  static RequestLog log(String route, String cluster, int status, Set<ResponseFlag> flags) {
    return new RequestLog(
        START,
        "GET",
        "/reviews/1?x=y",
        "HTTP/1.1",
        status,
        flags,
        12,
        345,
        7_250_000,
        5_100_000,
        "10.0.0.1",
        "curl/8.5.0",
        "req-1",
        "reviews.test",
        "127.0.0.1:9081",
        route,
        cluster,
        null,
        "4bf92f3577b34da6a3ce929d0e0e4736",
        null,
        "inbound");
  }
}
