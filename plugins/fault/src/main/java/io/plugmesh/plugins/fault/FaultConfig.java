package io.plugmesh.plugins.fault;

import static java.util.Objects.requireNonNull;

import io.plugmesh.filters.ConfigNode;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The fault plugin's configuration: what to inject (a delay, an abort, or both), for which requests
 * and how many at once.
 *
 * @param delay the delay to inject, if any
 * @param abort the abort to inject, if any
 * @param headers request headers (lower-case names) that must all be present with exactly these
 *     values for a request to be eligible; empty for every request
 * @param maxActiveFaults the most injected faults in progress at once on the route
 */
public record FaultConfig(
    Optional<Delay> delay,
    Optional<Abort> abort,
    Map<String, String> headers,
    int maxActiveFaults) {

  /** The default share of eligible requests a fault applies to: all of them. */
  public static final double DEFAULT_PERCENTAGE = 100;

  /** The longest delay accepted. */
  public static final Duration MAX_DELAY = Duration.ofHours(1);

  /** The default cap on faults in progress at once, per route. */
  public static final int DEFAULT_MAX_ACTIVE_FAULTS = 1000;

  /** The largest cap accepted for {@code maxActiveFaults}. */
  public static final int MAX_ACTIVE_FAULTS_LIMIT = 1_000_000;

  /** The most header conditions accepted. */
  public static final int MAX_HEADERS = 16;

  /**
   * Creates a config.
   *
   * @param delay the delay, if any
   * @param abort the abort, if any
   * @param headers the header conditions
   * @param maxActiveFaults the cap, 1 to {@value #MAX_ACTIVE_FAULTS_LIMIT}
   */
  public FaultConfig {
    requireNonNull(delay, "delay");
    requireNonNull(abort, "abort");
    headers = Map.copyOf(requireNonNull(headers, "headers"));
    if (delay.isEmpty() && abort.isEmpty()) {
      throw new IllegalArgumentException(
          "config: neither delay nor abort (expected: at least one)");
    }
    if (maxActiveFaults < 1 || maxActiveFaults > MAX_ACTIVE_FAULTS_LIMIT) {
      throw new IllegalArgumentException(
          "maxActiveFaults: "
              + maxActiveFaults
              + " (expected: 1.."
              + MAX_ACTIVE_FAULTS_LIMIT
              + ")");
    }
  }

  /**
   * A fixed delay before the request is passed on.
   *
   * @param fixed how long
   * @param percentage the share of eligible requests delayed, 0 to 100
   * @param headerPercentage whether a request header may choose a (lower) share
   */
  public record Delay(Duration fixed, double percentage, boolean headerPercentage) {
    /**
     * Creates a delay.
     *
     * @param fixed more than 0, at most {@link FaultConfig#MAX_DELAY}
     * @param percentage 0 to 100
     * @param headerPercentage whether a header may choose the share
     */
    public Delay {
      requireNonNull(fixed, "fixed");
      if (fixed.isZero() || fixed.isNegative() || fixed.compareTo(MAX_DELAY) > 0) {
        throw new IllegalArgumentException(
            "delay.fixed: " + fixed + " (expected: more than 0, at most " + MAX_DELAY + ")");
      }
      checkPercentage("delay.percentage", percentage);
    }
  }

  /**
   * An answer instead of passing the request on.
   *
   * @param httpStatus the HTTP status for plain HTTP requests, 200 to 599
   * @param grpcStatus the {@code grpc-status} for gRPC requests; empty to map it from {@code
   *     httpStatus}
   * @param percentage the share of eligible requests aborted, 0 to 100
   * @param headerPercentage whether a request header may choose a (lower) share
   */
  public record Abort(
      int httpStatus, OptionalInt grpcStatus, double percentage, boolean headerPercentage) {
    /**
     * Creates an abort.
     *
     * @param httpStatus 200 to 599
     * @param grpcStatus 1 to 16, or empty
     * @param percentage 0 to 100
     * @param headerPercentage whether a header may choose the share
     */
    public Abort {
      if (httpStatus < 200 || httpStatus > 599) {
        throw new IllegalArgumentException(
            "abort.httpStatus: " + httpStatus + " (expected: 200..599)");
      }
      requireNonNull(grpcStatus, "grpcStatus");
      if (grpcStatus.isPresent() && (grpcStatus.getAsInt() < 1 || grpcStatus.getAsInt() > 16)) {
        throw new IllegalArgumentException(
            "abort.grpcStatus: " + grpcStatus.getAsInt() + " (expected: 1..16)");
      }
      checkPercentage("abort.percentage", percentage);
    }

    /**
     * The {@code grpc-status} a gRPC request gets: the configured one, else {@code httpStatus}
     * mapped as gRPC clients map HTTP statuses.
     *
     * @return the gRPC status code
     */
    public int effectiveGrpcStatus() {
      return grpcStatus.orElseGet(() -> grpcStatusFor(httpStatus));
    }
  }

  /**
   * Parses validated config.
   *
   * @param node the plugin's {@code config}
   * @return the config
   * @throws io.plugmesh.filters.ConfigException naming the field that is wrong
   */
  public static FaultConfig parse(ConfigNode node) {
    Optional<Delay> delay = node.find("delay").map(FaultConfig::parseDelay);
    Optional<Abort> abort = node.find("abort").map(FaultConfig::parseAbort);
    if (delay.isEmpty() && abort.isEmpty()) {
      throw node.invalid("neither delay nor abort is set (expected: at least one of them)");
    }
    Map<String, String> headers = new LinkedHashMap<>();
    node.find("headers")
        .ifPresent(
            h -> {
              Map<String, String> fields = h.asMap(ConfigNode::asString);
              if (fields.size() > MAX_HEADERS) {
                throw h.invalid(fields.size() + " headers (expected: at most " + MAX_HEADERS + ")");
              }
              fields.forEach((name, value) -> headers.put(name.toLowerCase(Locale.ROOT), value));
            });
    int maxActive =
        node.integer("maxActiveFaults", DEFAULT_MAX_ACTIVE_FAULTS, 1, MAX_ACTIVE_FAULTS_LIMIT);
    return new FaultConfig(delay, abort, headers, maxActive);
  }

  private static Delay parseDelay(ConfigNode node) {
    return new Delay(
        node.get("fixed").asPositiveDuration(MAX_DELAY),
        node.number("percentage", DEFAULT_PERCENTAGE, 0, 100),
        node.bool("headerPercentage", false));
  }

  private static Abort parseAbort(ConfigNode node) {
    int http = (int) node.get("httpStatus").asLong(200, 599);
    OptionalInt grpc = OptionalInt.empty();
    if (node.has("grpcStatus")) {
      int g = node.integer("grpcStatus");
      if (g < 1 || g > 16) {
        throw node.get("grpcStatus").invalid(g + " (expected: 1..16, a gRPC status other than OK)");
      }
      grpc = OptionalInt.of(g);
    }
    return new Abort(
        http,
        grpc,
        node.number("percentage", DEFAULT_PERCENTAGE, 0, 100),
        node.bool("headerPercentage", false));
  }

  private static void checkPercentage(String field, double value) {
    if (!(value >= 0 && value <= 100)) {
      throw new IllegalArgumentException(field + ": " + value + " (expected: 0..100)");
    }
  }

  /**
   * The gRPC status a client derives from an HTTP status (gRPC's HTTP-to-gRPC status mapping).
   *
   * @param httpStatus the HTTP status
   * @return the gRPC status code
   */
  static int grpcStatusFor(int httpStatus) {
    return switch (httpStatus) {
      case 400 -> 13; // INTERNAL
      case 401 -> 16; // UNAUTHENTICATED
      case 403 -> 7; // PERMISSION_DENIED
      case 404 -> 12; // UNIMPLEMENTED
      case 429, 502, 503, 504 -> 14; // UNAVAILABLE
      default -> 2; // UNKNOWN
    };
  }
}
