package io.plugmesh.plugins.tracing;

import static java.util.Objects.requireNonNull;

import io.plugmesh.filters.ConfigNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The tracing plugin's configuration for one route.
 *
 * @param serviceName {@code service.name} of the spans
 * @param extract trace header formats read from requests
 * @param inject trace header formats written on each upstream attempt
 * @param sampling how traces are chosen for recording
 * @param export where and how spans are exported (shared by every route with equal settings)
 */
record TracingConfig(
    String serviceName,
    List<Format> extract,
    List<Format> inject,
    Sampling sampling,
    Export export) {

  /** The default {@code service.name}. */
  static final String DEFAULT_SERVICE_NAME = "plugmesh";

  /** The default header that forces a trace to be recorded. */
  static final String DEFAULT_FORCE_HEADER = "x-plugmesh-force-trace";

  /** The default collector of OTLP over gRPC. */
  static final String DEFAULT_GRPC_ENDPOINT = "http://localhost:4317";

  /** The default collector of OTLP over HTTP. */
  static final String DEFAULT_HTTP_ENDPOINT = "http://localhost:4318/v1/traces";

  /** The default timeout of one export call. */
  static final Duration DEFAULT_EXPORT_TIMEOUT = Duration.ofSeconds(10);

  /** The default bound of the queue of finished spans waiting for export. */
  static final int DEFAULT_MAX_QUEUE_SIZE = 2048;

  /** The default number of spans per export call. */
  static final int DEFAULT_MAX_EXPORT_BATCH_SIZE = 512;

  /** The default longest wait before queued spans are exported. */
  static final Duration DEFAULT_SCHEDULE_DELAY = Duration.ofSeconds(5);

  /** The largest queue of finished spans. */
  static final int MAX_QUEUE_SIZE = 65_536;

  /** Trace header formats. */
  enum Format {
    /** W3C Trace Context: {@code traceparent} and {@code tracestate}. */
    TRACECONTEXT("tracecontext"),
    /** Zipkin B3, the single {@code b3} header. */
    B3("b3"),
    /** Zipkin B3, the {@code X-B3-*} headers. */
    B3MULTI("b3multi");

    private final String text;

    Format(String text) {
      this.text = text;
    }

    String text() {
      return text;
    }
  }

  /** How spans leave the proxy. */
  enum Protocol {
    /** OTLP over gRPC. */
    GRPC("grpc"),
    /** OTLP over HTTP with protobuf bodies. */
    HTTP_PROTOBUF("http/protobuf"),
    /** Not exported: ids are made and propagated, nothing is sent. */
    NONE("none");

    private final String text;

    Protocol(String text) {
      this.text = text;
    }

    String text() {
      return text;
    }
  }

  /**
   * Sampling of one route.
   *
   * @param ratio the share of new traces recorded, 0..1
   * @param respectParent whether a caller's sampled flag decides
   * @param forceHeader a request header that forces recording
   */
  record Sampling(double ratio, boolean respectParent, String forceHeader) {
    Sampling {
      if (!(ratio >= 0 && ratio <= 1)) {
        throw new IllegalArgumentException("ratio: " + ratio + " (expected: 0..1)");
      }
      forceHeader = requireNonNull(forceHeader, "forceHeader").toLowerCase(Locale.ROOT);
    }
  }

  /**
   * Export settings; routes with equal settings share one SDK and exporter.
   *
   * @param serviceName {@code service.name}
   * @param protocol the protocol
   * @param endpoint the collector URL
   * @param timeout the timeout of one export call
   * @param headers headers sent with every export
   * @param maxQueueSize bound of finished spans waiting; more are dropped
   * @param maxExportBatchSize spans per export call
   * @param scheduleDelay longest wait before queued spans are exported
   */
  record Export(
      String serviceName,
      Protocol protocol,
      String endpoint,
      Duration timeout,
      Map<String, String> headers,
      int maxQueueSize,
      int maxExportBatchSize,
      Duration scheduleDelay) {
    Export {
      requireNonNull(serviceName, "serviceName");
      requireNonNull(protocol, "protocol");
      requireNonNull(endpoint, "endpoint");
      requireNonNull(timeout, "timeout");
      headers = Map.copyOf(headers);
      requireNonNull(scheduleDelay, "scheduleDelay");
    }

    /** A key naming these settings among the plugin's shared objects; headers are not in it. */
    String sharedKey() {
      return "sdk "
          + serviceName
          + " "
          + protocol
          + " "
          + endpoint
          + " timeout="
          + timeout
          + " queue="
          + maxQueueSize
          + " batch="
          + maxExportBatchSize
          + " delay="
          + scheduleDelay
          + " headers#"
          + new java.util.TreeMap<>(headers).hashCode();
    }

    @Override
    public String toString() {
      return "Export[" + protocol + " " + endpoint + "]"; // headers may hold secrets
    }
  }

  TracingConfig {
    requireNonNull(serviceName, "serviceName");
    extract = List.copyOf(extract);
    inject = List.copyOf(inject);
    requireNonNull(sampling, "sampling");
    requireNonNull(export, "export");
  }

  /** Parses a validated {@code config} object; errors name the field. */
  static TracingConfig parse(ConfigNode config) {
    String serviceName = config.string("serviceName", DEFAULT_SERVICE_NAME);
    if (serviceName.isBlank()) {
      throw config.get("serviceName").invalid("blank (expected: a service name)");
    }
    List<Format> extract =
        formats(config, "extract", List.of(Format.TRACECONTEXT, Format.B3, Format.B3MULTI));
    List<Format> inject = formats(config, "inject", List.of(Format.TRACECONTEXT));

    double ratio = 1.0;
    boolean respectParent = true;
    String forceHeader = DEFAULT_FORCE_HEADER;
    if (config.has("sampling")) {
      ConfigNode s = config.get("sampling");
      ratio = s.number("ratio", 1.0, 0, 1);
      respectParent = s.bool("respectParent", true);
      forceHeader = s.string("forceHeader", DEFAULT_FORCE_HEADER);
    }

    Protocol protocol = Protocol.GRPC;
    String endpoint = null;
    Duration timeout = DEFAULT_EXPORT_TIMEOUT;
    Map<String, String> headers = Map.of();
    if (config.has("exporter")) {
      ConfigNode e = config.get("exporter");
      protocol =
          e.find("protocol")
              .map(p -> p.asEnum(Protocol.class, Protocol::text))
              .orElse(Protocol.GRPC);
      if (e.has("endpoint")) {
        ConfigNode ep = e.get("endpoint");
        endpoint = ep.asString();
        if (!endpoint.startsWith("http://") && !endpoint.startsWith("https://")) {
          throw ep.invalid("'" + endpoint + "' (expected: an http:// or https:// URL)");
        }
        try {
          java.net.URI uri = new java.net.URI(endpoint);
          if (uri.getHost() == null) {
            throw ep.invalid("'" + endpoint + "' has no host (expected: http://host:port...)");
          }
        } catch (java.net.URISyntaxException ex) {
          throw ep.invalid("'" + endpoint + "' (expected: a URL: " + ex.getReason() + ")");
        }
      }
      timeout =
          e.find("timeout").map(ConfigNode::asPositiveDuration).orElse(DEFAULT_EXPORT_TIMEOUT);
      headers = e.find("headers").map(h -> h.asMap(ConfigNode::asString)).orElse(Map.of());
    }
    if (endpoint == null) {
      endpoint = protocol == Protocol.HTTP_PROTOBUF ? DEFAULT_HTTP_ENDPOINT : DEFAULT_GRPC_ENDPOINT;
    }

    int maxQueueSize = DEFAULT_MAX_QUEUE_SIZE;
    int maxExportBatchSize = DEFAULT_MAX_EXPORT_BATCH_SIZE;
    Duration scheduleDelay = DEFAULT_SCHEDULE_DELAY;
    if (config.has("batch")) {
      ConfigNode b = config.get("batch");
      maxQueueSize = b.integer("maxQueueSize", DEFAULT_MAX_QUEUE_SIZE, 1, MAX_QUEUE_SIZE);
      maxExportBatchSize =
          b.integer(
              "maxExportBatchSize",
              Math.min(DEFAULT_MAX_EXPORT_BATCH_SIZE, maxQueueSize),
              1,
              MAX_QUEUE_SIZE);
      if (maxExportBatchSize > maxQueueSize) {
        throw b.get("maxExportBatchSize")
            .invalid(maxExportBatchSize + " (expected: <= maxQueueSize " + maxQueueSize + ")");
      }
      scheduleDelay =
          b.find("scheduleDelay")
              .map(ConfigNode::asPositiveDuration)
              .orElse(DEFAULT_SCHEDULE_DELAY);
    }
    return new TracingConfig(
        serviceName,
        extract,
        inject,
        new Sampling(ratio, respectParent, forceHeader),
        new Export(
            serviceName,
            protocol,
            endpoint,
            timeout,
            headers,
            maxQueueSize,
            maxExportBatchSize,
            scheduleDelay));
  }

  private static List<Format> formats(ConfigNode config, String field, List<Format> fallback) {
    if (!config.has(field)) {
      return fallback;
    }
    List<ConfigNode> items = config.list(field);
    if (items.isEmpty()) {
      throw config.get(field).invalid("[] (expected: at least one of tracecontext, b3, b3multi)");
    }
    List<Format> out = new ArrayList<>();
    for (ConfigNode item : items) {
      Format f = item.asEnum(Format.class, Format::text);
      if (out.contains(f)) {
        throw item.invalid("'" + f.text() + "' listed twice (expected: each format once)");
      }
      out.add(f);
    }
    return out;
  }
}
