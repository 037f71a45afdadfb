package io.plugmesh.kernel.proxy;

import static java.util.Objects.requireNonNull;

import io.netty.channel.Channel;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The proxy's open downstream connections, and the drain that ends them on shutdown (like Envoy's):
 * every HTTP/2 connection is sent GOAWAY (NO_ERROR), every HTTP/1.1 response after the start
 * carries {@code Connection: close} and idle connections close at once; the exchanges in flight
 * finish, until the drain timeout cuts what is left. The drain waits on the connections' close
 * events, not by polling.
 */
public final class Downstreams {
  private static final Logger log = LoggerFactory.getLogger(Downstreams.class);

  /** How long the drain waits for a connection's loop to run what it has queued: 100 ms. */
  private static final Duration LOOP_SETTLE = Duration.ofMillis(100);

  /** How long the drain waits for cut connections to finish closing. */
  static final Duration CUT_WAIT = Duration.ofSeconds(1);

  private final Set<Downstream> open = ConcurrentHashMap.newKeySet();
  private final AtomicLong exchangesEnded = new AtomicLong();
  private final CompletableFuture<Void> allClosed = new CompletableFuture<>();
  private volatile boolean draining;

  /**
   * What a drain did.
   *
   * @param connections downstream connections open when it started
   * @param inFlight exchanges in flight when it started
   * @param completed exchanges that finished during the drain
   * @param cut exchanges still in flight at the drain timeout, cut
   * @param cutConnections connections still open at the drain timeout, closed
   * @param elapsed how long it took
   */
  public record Report(
      int connections,
      int inFlight,
      long completed,
      int cut,
      int cutConnections,
      Duration elapsed) {}

  /**
   * Tracks a newly accepted connection until it closes. One accepted while a drain runs is drained
   * at once.
   *
   * @param channel the connection
   */
  public void opened(Channel channel) {
    Downstream d = Downstream.attach(channel, this);
    open.add(d);
    channel.closeFuture().addListener(f -> closed(d));
    if (draining) {
      channel.eventLoop().execute(d::drain);
    }
  }

  private void closed(Downstream d) {
    open.remove(d);
    if (draining && open.isEmpty()) {
      allClosed.complete(null);
    }
  }

  void exchangeEnded() {
    exchangesEnded.incrementAndGet();
  }

  /**
   * Whether a drain has started.
   *
   * @return true once {@link #drain} was called
   */
  public boolean draining() {
    return draining;
  }

  /**
   * Drains every open connection and waits until all are closed or {@code timeout} passed, then
   * cuts the rest. Logs one line at the start and one at the end. Call after the listeners stopped
   * accepting.
   *
   * @param timeout how long exchanges in flight may take to finish
   * @return what the drain did
   * @throws InterruptedException if interrupted while waiting
   */
  public Report drain(Duration timeout) throws InterruptedException {
    requireNonNull(timeout, "timeout");
    long start = System.nanoTime();
    draining = true;
    List<Downstream> atStart = List.copyOf(open);
    int inFlight = atStart.stream().mapToInt(Downstream::inFlight).sum();
    long endedBefore = exchangesEnded.get();
    log.info(
        "draining: {} open connections, {} requests in flight, up to {} ms",
        atStart.size(),
        inFlight,
        timeout.toMillis());
    for (Downstream d : atStart) {
      d.channel().eventLoop().execute(d::drain);
    }
    if (open.isEmpty()) {
      allClosed.complete(null);
    }
    await(allClosed, timeout);
    // A stream's exchange can end on its loop just after its connection closed (an h2 child
    // channel goes inactive after the parent): let each loop run what it has queued first.
    for (var loop : atStart.stream().map(d -> d.channel().eventLoop()).distinct().toList()) {
      loop.submit(() -> {}).await(LOOP_SETTLE.toMillis(), TimeUnit.MILLISECONDS);
    }
    long completed = exchangesEnded.get() - endedBefore;
    List<Downstream> left = List.copyOf(open);
    int cut = left.stream().mapToInt(Downstream::inFlight).sum();
    for (Downstream d : left) {
      d.channel().eventLoop().execute(d::cut);
    }
    for (Downstream d : left) {
      d.channel().closeFuture().await(CUT_WAIT.toMillis(), TimeUnit.MILLISECONDS);
    }
    Report report =
        new Report(
            atStart.size(),
            inFlight,
            completed,
            cut,
            left.size(),
            Duration.ofNanos(System.nanoTime() - start));
    log.info(
        "drained in {} ms: {} requests completed, {} cut, {} connections closed unfinished",
        report.elapsed().toMillis(),
        report.completed(),
        report.cut(),
        report.cutConnections());
    return report;
  }

  private static void await(CompletableFuture<Void> done, Duration timeout)
      throws InterruptedException {
    try {
      done.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException | ExecutionException e) {
      // what is left is cut
    }
  }
}
