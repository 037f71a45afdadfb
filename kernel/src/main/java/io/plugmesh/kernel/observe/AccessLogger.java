package io.plugmesh.kernel.observe;

import static java.util.Objects.requireNonNull;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.ObjectWriteContext;
import tools.jackson.core.StreamWriteFeature;
import tools.jackson.core.json.JsonFactory;

/**
 * Writes one access-log line per finished request without ever blocking the caller: {@link #log}
 * offers to a bounded queue ({@link #DEFAULT_QUEUE_CAPACITY}) that one writer thread drains, and a
 * full queue drops the line and counts it in {@code <prefix>_access_log_dropped_total}.
 *
 * <p>{@link Format#TEXT} is Envoy's default line:
 *
 * <pre>
 * [START_TIME] "METHOD PATH PROTOCOL" RESPONSE_CODE RESPONSE_FLAGS BYTES_RECEIVED BYTES_SENT
 * DURATION UPSTREAM_SERVICE_TIME "X-FORWARDED-FOR" "USER-AGENT" "X-REQUEST-ID" "AUTHORITY"
 * "UPSTREAM_HOST"
 * </pre>
 *
 * (on one line) followed by {@code route=R cluster=C plugin=P trace_id=T peer=I listener=L}, so
 * Envoy parsers that read the first fields keep working. START_TIME is ISO-8601 UTC with
 * milliseconds, DURATION and UPSTREAM_SERVICE_TIME are whole milliseconds, {@code -} marks an
 * absent value. Untrusted values are cut to {@link #MAX_VALUE_CHARS} characters (then {@code ...}
 * is appended); a quote becomes {@code \"}, a backslash {@code \\}, a control character (C0, DEL,
 * C1) {@code \xNN}, U+2028, U+2029 and lone surrogates a backslash, {@code u} and four hex digits;
 * outside quotes a space becomes {@code \x20}. So one request is always one line.
 *
 * <p>{@link Format#JSON} writes one object per line with the same fields in snake_case ({@code
 * start_time, method, path, protocol, response_code, response_flags, bytes_received, bytes_sent,
 * duration_ms, upstream_service_time_ms, x_forwarded_for, user_agent, request_id, authority,
 * upstream_host, route, cluster, plugin, trace_id, peer_identity, listener}); absent values are
 * {@code null}.
 *
 * <p>Files are opened for append; rotate them with copy-and-truncate.
 */
public final class AccessLogger implements AutoCloseable {

  /** The access log format. */
  public enum Format {
    /** Envoy's default text line plus plugmesh fields. */
    TEXT,
    /** One JSON object per line. */
    JSON,
    /** No access log. */
    OFF
  }

  /** The destination that means standard output. */
  public static final String STDOUT = "stdout";

  /** Lines waiting for the writer before new ones are dropped. */
  public static final int DEFAULT_QUEUE_CAPACITY = 8192;

  /** The longest untrusted value written; longer ones are cut and marked with {@code ...}. */
  public static final int MAX_VALUE_CHARS = 2048;

  /** Lines the writer formats before one write to the destination. */
  static final int BATCH_SIZE = 256;

  /** How long {@link #close} waits for the writer to drain the queue. */
  static final long CLOSE_TIMEOUT_MILLIS = 5_000;

  private static final long POLL_MILLIS = 100;
  private static final String ABSENT = "-";
  private static final String TRUNCATED = "...";
  private static final long NANOS_PER_MILLI = 1_000_000L;
  private static final DateTimeFormatter START_TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'", Locale.ROOT)
          .withZone(ZoneOffset.UTC);
  private static final JsonFactory JSON =
      JsonFactory.builder()
          .disable(StreamWriteFeature.AUTO_CLOSE_TARGET)
          .disable(StreamWriteFeature.FLUSH_PASSED_TO_STREAM)
          .build();
  private static final char[] HEX = "0123456789abcdef".toCharArray();
  private static final Logger LOG = LoggerFactory.getLogger(AccessLogger.class);

  private final Format format;
  private final OutputStream out;
  private final boolean closeOut;
  private final BlockingQueue<RequestLog> queue;
  private final Counter dropped;
  private final Thread writer;
  private volatile boolean closed;

  AccessLogger(Format format, OutputStream out, boolean closeOut, int capacity, Counter dropped) {
    this.format = requireNonNull(format, "format");
    this.dropped = requireNonNull(dropped, "dropped");
    this.closeOut = closeOut;
    if (format == Format.OFF) {
      this.out = null;
      this.queue = null;
      this.writer = null;
      return;
    }
    if (capacity <= 0) {
      throw new IllegalArgumentException(
          "access log queue capacity: " + capacity + " (expected: > 0)");
    }
    this.out = requireNonNull(out, "out");
    this.queue = new ArrayBlockingQueue<>(capacity);
    this.writer = new Thread(this::drain, "plugmesh-access-log");
    this.writer.setDaemon(true);
    this.writer.start();
  }

  /**
   * Opens an access log.
   *
   * @param format the format; {@link Format#OFF} opens nothing
   * @param destination {@link #STDOUT} or a file path (appended to; its directory must exist)
   * @param registry where the dropped-lines counter is registered
   * @param prefix the metric name prefix, e.g. {@link ProxyMetrics#DEFAULT_PREFIX}
   * @return the logger; close it on shutdown
   * @throws UncheckedIOException when the file cannot be opened
   */
  public static AccessLogger open(
      Format format, String destination, MeterRegistry registry, String prefix) {
    return open(format, destination, registry, prefix, DEFAULT_QUEUE_CAPACITY);
  }

  /**
   * Opens an access log with a given queue capacity.
   *
   * @param format the format; {@link Format#OFF} opens nothing
   * @param destination {@link #STDOUT} or a file path (appended to; its directory must exist)
   * @param registry where the dropped-lines counter is registered
   * @param prefix the metric name prefix, e.g. {@link ProxyMetrics#DEFAULT_PREFIX}
   * @param queueCapacity lines that may wait for the writer, &gt; 0
   * @return the logger; close it on shutdown
   * @throws UncheckedIOException when the file cannot be opened
   */
  public static AccessLogger open(
      Format format, String destination, MeterRegistry registry, String prefix, int queueCapacity) {
    requireNonNull(format, "format");
    requireNonNull(destination, "destination");
    Counter dropped = droppedCounter(registry, prefix);
    if (format == Format.OFF) {
      return new AccessLogger(format, null, false, queueCapacity, dropped);
    }
    if (destination.equals(STDOUT)) {
      return new AccessLogger(format, System.out, false, queueCapacity, dropped);
    }
    Path path = Path.of(destination);
    try {
      OutputStream file =
          Files.newOutputStream(
              path, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
      return new AccessLogger(format, file, true, queueCapacity, dropped);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "access log: cannot open '"
              + destination
              + "' for append (expected: "
              + STDOUT
              + " or a writable file in an existing directory)",
          e);
    }
  }

  static Counter droppedCounter(MeterRegistry registry, String prefix) {
    return Counter.builder(ProxyMetrics.checkPrefix(prefix) + ".access.log.dropped")
        .description("Access log lines dropped because the writer queue was full or failed.")
        .register(requireNonNull(registry, "registry"));
  }

  /**
   * The format of this logger.
   *
   * @return the format
   */
  public Format format() {
    return format;
  }

  /**
   * Whether this logger writes anything ({@link Format#OFF} does not).
   *
   * @return true unless the format is off
   */
  public boolean enabled() {
    return format != Format.OFF;
  }

  /**
   * Queues one line; never blocks. Drops and counts the line when the queue is full or the logger
   * is closed.
   *
   * @param log the finished request
   */
  public void log(RequestLog log) {
    if (queue == null) {
      return;
    }
    if (closed || !queue.offer(log)) {
      dropped.increment();
    }
  }

  /**
   * Lines dropped so far.
   *
   * @return the count
   */
  public long dropped() {
    return (long) dropped.count();
  }

  /** Writes what is queued (waiting at most {@value #CLOSE_TIMEOUT_MILLIS} ms) and closes. */
  @Override
  public void close() {
    if (writer == null || closed) {
      return;
    }
    closed = true;
    try {
      writer.join(CLOSE_TIMEOUT_MILLIS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void drain() {
    List<RequestLog> batch = new ArrayList<>(BATCH_SIZE);
    StringBuilder text = new StringBuilder(BATCH_SIZE * 256);
    try {
      while (true) {
        RequestLog first = queue.poll(POLL_MILLIS, TimeUnit.MILLISECONDS);
        if (first == null) {
          if (closed && queue.isEmpty()) {
            break;
          }
          continue;
        }
        batch.add(first);
        queue.drainTo(batch, BATCH_SIZE - 1);
        text.setLength(0);
        for (RequestLog log : batch) {
          text.append(format(format, log)).append('\n');
        }
        write(text, batch.size(), queue.isEmpty());
        batch.clear();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      finish();
    }
  }

  private void write(StringBuilder text, int lines, boolean flush) {
    try {
      out.write(text.toString().getBytes(StandardCharsets.UTF_8));
      if (flush) {
        out.flush();
      }
    } catch (IOException | RuntimeException e) {
      dropped.increment(lines);
      LOG.warn("access log: writing {} lines failed, dropped them", lines, e);
    }
  }

  private void finish() {
    try {
      out.flush();
      if (closeOut) {
        out.close();
      }
    } catch (IOException e) {
      LOG.warn("access log: closing failed", e);
    }
  }

  /**
   * Formats one request as a line without the trailing newline.
   *
   * @param format {@link Format#TEXT} or {@link Format#JSON}
   * @param log the request
   * @return the line
   */
  public static String format(Format format, RequestLog log) {
    return switch (format) {
      case TEXT -> text(log);
      case JSON -> json(log);
      case OFF ->
          throw new IllegalArgumentException(
              "access log format: " + format + " (expected: TEXT or JSON)");
    };
  }

  private static String text(RequestLog log) {
    StringBuilder b = new StringBuilder(256);
    b.append('[').append(START_TIME.format(log.startTime())).append("] \"");
    token(b, log.method());
    b.append(' ');
    token(b, log.path());
    b.append(' ');
    token(b, log.protocol());
    b.append("\" ").append(log.status()).append(' ');
    b.append(log.flagsText()).append(' ');
    b.append(log.bytesReceived()).append(' ');
    b.append(log.bytesSent()).append(' ');
    b.append(log.durationNanos() / NANOS_PER_MILLI).append(' ');
    if (log.upstreamServiceTimeNanos() < 0) {
      b.append(ABSENT);
    } else {
      b.append(log.upstreamServiceTimeNanos() / NANOS_PER_MILLI);
    }
    quoted(b.append(' '), log.forwardedFor());
    quoted(b.append(' '), log.userAgent());
    quoted(b.append(' '), log.requestId());
    quoted(b.append(' '), log.authority());
    quoted(b.append(' '), log.upstreamHost());
    token(b.append(" route="), log.route());
    token(b.append(" cluster="), log.cluster());
    token(b.append(" plugin="), log.answeringPlugin());
    token(b.append(" trace_id="), log.traceId());
    token(b.append(" peer="), log.peerIdentity());
    token(b.append(" listener="), log.listener());
    return b.toString();
  }

  private static void quoted(StringBuilder b, String value) {
    b.append('"');
    escape(b, value, false);
    b.append('"');
  }

  private static void token(StringBuilder b, String value) {
    escape(b, value == null || value.isEmpty() ? null : value, true);
  }

  /** Appends a bounded value with quotes, backslashes and control characters escaped. */
  private static void escape(StringBuilder b, String value, boolean escapeSpace) {
    if (value == null) {
      b.append(ABSENT);
      return;
    }
    int end = cut(value);
    for (int i = 0; i < end; i++) {
      char c = value.charAt(i);
      if (c == '"' || c == '\\') {
        b.append('\\').append(c);
      } else if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || (escapeSpace && c == ' ')) {
        b.append("\\x").append(HEX[c >> 4]).append(HEX[c & 0xf]);
      } else if (c == '\u2028' || c == '\u2029' || Character.isSurrogate(c)) {
        if (Character.isHighSurrogate(c)
            && i + 1 < end
            && Character.isLowSurrogate(value.charAt(i + 1))) {
          b.append(c).append(value.charAt(++i));
        } else {
          b.append("\\u")
              .append(HEX[c >> 12])
              .append(HEX[(c >> 8) & 0xf])
              .append(HEX[(c >> 4) & 0xf])
              .append(HEX[c & 0xf]);
        }
      } else {
        b.append(c);
      }
    }
    if (end < value.length()) {
      b.append(TRUNCATED);
    }
  }

  /** The length to keep of a value: at most {@link #MAX_VALUE_CHARS}, never half a pair. */
  private static int cut(String value) {
    if (value.length() <= MAX_VALUE_CHARS) {
      return value.length();
    }
    int end = MAX_VALUE_CHARS;
    if (Character.isHighSurrogate(value.charAt(end - 1))) {
      end--;
    }
    return end;
  }

  private static String bounded(String value) {
    if (value == null) {
      return null;
    }
    int end = cut(value);
    return end == value.length() ? value : value.substring(0, end) + TRUNCATED;
  }

  private static String json(RequestLog log) {
    StringWriter sw = new StringWriter(384);
    try (JsonGenerator g = JSON.createGenerator(ObjectWriteContext.empty(), sw)) {
      g.writeStartObject();
      g.writeStringProperty("start_time", START_TIME.format(log.startTime()));
      string(g, "method", log.method());
      string(g, "path", log.path());
      string(g, "protocol", log.protocol());
      g.writeNumberProperty("response_code", log.status());
      g.writeStringProperty("response_flags", log.flagsText());
      g.writeNumberProperty("bytes_received", log.bytesReceived());
      g.writeNumberProperty("bytes_sent", log.bytesSent());
      g.writeNumberProperty("duration_ms", log.durationNanos() / NANOS_PER_MILLI);
      if (log.upstreamServiceTimeNanos() < 0) {
        g.writeNullProperty("upstream_service_time_ms");
      } else {
        g.writeNumberProperty(
            "upstream_service_time_ms", log.upstreamServiceTimeNanos() / NANOS_PER_MILLI);
      }
      string(g, "x_forwarded_for", log.forwardedFor());
      string(g, "user_agent", log.userAgent());
      string(g, "request_id", log.requestId());
      string(g, "authority", log.authority());
      string(g, "upstream_host", log.upstreamHost());
      string(g, "route", log.route());
      string(g, "cluster", log.cluster());
      string(g, "plugin", log.answeringPlugin());
      string(g, "trace_id", log.traceId());
      string(g, "peer_identity", log.peerIdentity());
      string(g, "listener", log.listener());
      g.writeEndObject();
    }
    return sw.toString();
  }

  private static void string(JsonGenerator g, String name, String value) {
    if (value == null) {
      g.writeNullProperty(name);
    } else {
      g.writeStringProperty(name, bounded(value));
    }
  }
}
