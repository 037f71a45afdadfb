package io.plugmesh.filters.testkit;

import static java.util.Objects.requireNonNull;

import io.plugmesh.filters.advanced.UpstreamException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What a {@link FakeUpstream} does with one attempt: respond, fail with an {@link
 * UpstreamException}, or never answer; optionally {@link #after(Duration) after} a delay on the
 * harness's virtual clock. Immutable; every method returns a changed copy.
 *
 * <pre>{@code
 * import static io.plugmesh.filters.testkit.UpstreamOutcome.*;
 *
 * FakeUpstream.script(
 *     fail(UpstreamException.Kind.RESET),
 *     respond(503).header("retry-after", "1"),
 *     respond(200, "ok").after(Duration.ofMillis(300)));
 * }</pre>
 */
public final class UpstreamOutcome {

  private enum Kind {
    RESPOND,
    FAIL,
    HANG
  }

  private final Kind kind;
  private final int status;
  private final List<Map.Entry<String, String>> headers;
  private final byte[] body;
  private final UpstreamException.Kind failure;
  private final String failureMessage;
  private final Duration delay;

  private UpstreamOutcome(
      Kind kind,
      int status,
      List<Map.Entry<String, String>> headers,
      byte[] body,
      UpstreamException.Kind failure,
      String failureMessage,
      Duration delay) {
    this.kind = kind;
    this.status = status;
    this.headers = headers;
    this.body = body;
    this.failure = failure;
    this.failureMessage = failureMessage;
    this.delay = delay;
  }

  /**
   * Respond with a status and an empty body.
   *
   * @param status the HTTP status, 100..599
   * @return the outcome
   */
  public static UpstreamOutcome respond(int status) {
    return respond(status, new byte[0]);
  }

  /**
   * Respond with a status and a UTF-8 text body.
   *
   * @param status the HTTP status, 100..599
   * @param body the body
   * @return the outcome
   */
  public static UpstreamOutcome respond(int status, String body) {
    return respond(status, requireNonNull(body, "body").getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Respond with a status and body bytes.
   *
   * @param status the HTTP status, 100..599
   * @param body the body (copied)
   * @return the outcome
   */
  public static UpstreamOutcome respond(int status, byte[] body) {
    if (status < 100 || status > 599) {
      throw new IllegalArgumentException("status: " + status + " (expected: 100..599)");
    }
    return new UpstreamOutcome(
        Kind.RESPOND,
        status,
        List.of(),
        requireNonNull(body, "body").clone(),
        null,
        null,
        Duration.ZERO);
  }

  /**
   * Fail the attempt with an {@link UpstreamException} of the given kind, as the proxy's cluster
   * layer reports a refused connection, a reset or a timeout.
   *
   * @param kind what went wrong
   * @return the outcome
   */
  public static UpstreamOutcome fail(UpstreamException.Kind kind) {
    return fail(kind, "scripted " + requireNonNull(kind, "kind"));
  }

  /**
   * Fail the attempt with an {@link UpstreamException} of the given kind and message.
   *
   * @param kind what went wrong
   * @param message the exception message
   * @return the outcome
   */
  public static UpstreamOutcome fail(UpstreamException.Kind kind, String message) {
    return new UpstreamOutcome(
        Kind.FAIL,
        0,
        List.of(),
        new byte[0],
        requireNonNull(kind, "kind"),
        requireNonNull(message, "message"),
        Duration.ZERO);
  }

  /**
   * Never answer: the attempt stays pending until someone cancels it (a timeout filter), which
   * {@link UpstreamRequest#cancelled()} records.
   *
   * @return the outcome
   */
  public static UpstreamOutcome hang() {
    return new UpstreamOutcome(Kind.HANG, 0, List.of(), new byte[0], null, null, Duration.ZERO);
  }

  /**
   * Adds a response header (for {@link #respond} outcomes).
   *
   * @param name the name
   * @param value the value
   * @return a changed copy
   */
  public UpstreamOutcome header(String name, String value) {
    requireNonNull(name, "name");
    requireNonNull(value, "value");
    if (kind != Kind.RESPOND) {
      throw new IllegalStateException(
          "header(" + name + "): " + this + " has no response (expected: a respond(...) outcome)");
    }
    List<Map.Entry<String, String>> list = new ArrayList<>(headers);
    list.add(Map.entry(name, value));
    return new UpstreamOutcome(
        kind, status, List.copyOf(list), body, failure, failureMessage, delay);
  }

  /**
   * Delays the response or failure by virtual time: it happens when the harness is {@linkplain
   * FilterHarness#advance(Duration) advanced} that far.
   *
   * @param delay the delay, not negative
   * @return a changed copy
   */
  public UpstreamOutcome after(Duration delay) {
    requireNonNull(delay, "delay");
    if (delay.isNegative()) {
      throw new IllegalArgumentException("delay: " + delay + " (expected: >= 0)");
    }
    return new UpstreamOutcome(kind, status, headers, body, failure, failureMessage, delay);
  }

  Duration delay() {
    return delay;
  }

  boolean hangs() {
    return kind == Kind.HANG;
  }

  /** Makes the response, or returns null for a failure (see {@link #failure(int)}). */
  UpstreamResponse response(UpstreamRequest attempt) {
    if (kind != Kind.RESPOND) {
      return null;
    }
    return new UpstreamResponse(status, headers, body, attempt);
  }

  UpstreamException failure(int attempt) {
    return new UpstreamException(failure, failureMessage + " (attempt " + attempt + ")");
  }

  @Override
  public String toString() {
    String what =
        switch (kind) {
          case RESPOND -> "respond(" + status + ", " + body.length + " bytes)";
          case FAIL -> "fail(" + failure + ")";
          case HANG -> "hang()";
        };
    return delay.isZero() ? what : what + ".after(" + delay + ")";
  }
}
