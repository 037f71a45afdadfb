package io.plugmesh.plugins.authnjwt;

import static java.util.Objects.requireNonNull;

import io.plugmesh.filters.FilterMetrics;
import io.plugmesh.filters.FilterServices;
import java.lang.System.Logger.Level;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;

/**
 * The keys behind one JWKS URI, shared by every route and config version that names it: fetched
 * once at start, refreshed in the background before they go stale, kept (the last good set) while
 * the endpoint fails, refetched for requests (unknown key ids, no keys yet) at most once per {@code
 * jwksRefetchInterval}, with one fetch in flight at a time. Never blocks: fetches are asynchronous
 * and timers run on the plugin's scheduler.
 */
final class JwksCache implements KeySource, AutoCloseable {

  /** The first retry delay after a failed fetch; doubles per failure. */
  static final Duration FIRST_RETRY = Duration.ofSeconds(1);

  /** The longest retry delay after failed fetches. */
  static final Duration MAX_RETRY = Duration.ofSeconds(60);

  /** When keys are refreshed, as a share of the cache duration. */
  static final double REFRESH_AT = 0.8;

  /**
   * How the cache behaves; a later config version's settings replace earlier ones.
   *
   * @param cacheDuration how long fetched keys are fresh
   * @param fetchTimeout how long one fetch may take
   * @param refetchInterval least time between fetches caused by requests
   */
  record Settings(Duration cacheDuration, Duration fetchTimeout, Duration refetchInterval) {
    Settings {
      requireNonNull(cacheDuration, "cacheDuration");
      requireNonNull(fetchTimeout, "fetchTimeout");
      requireNonNull(refetchInterval, "refetchInterval");
    }

    static Settings of(ProviderConfig provider) {
      return new Settings(
          provider.jwksCacheDuration(),
          provider.jwksFetchTimeout(),
          provider.jwksRefetchInterval());
    }
  }

  private final URI uri;
  private final JwksFetcher fetcher;
  private final ScheduledExecutorService scheduler;
  private final LongSupplier nanoTime;
  private final System.Logger log;
  private final FilterMetrics.Counter fetchSuccesses;
  private final FilterMetrics.Counter fetchFailures;
  private final FilterMetrics.Counter refetchesLimited;
  private final FilterMetrics.Timer fetchTime;

  private volatile Settings settings;
  private volatile KeySet keys;

  // Guarded by this.
  private CompletableFuture<KeySet> inFlight;
  private boolean fetchedOnce;
  private boolean refetchedOnce;
  private long lastRefetchNanos;
  private int failures;
  private ScheduledFuture<?> timer;
  private boolean closed;

  JwksCache(
      URI uri, String issuer, Settings settings, JwksFetcher fetcher, FilterServices services) {
    this.uri = requireNonNull(uri, "uri");
    this.settings = requireNonNull(settings, "settings");
    this.fetcher = requireNonNull(fetcher, "fetcher");
    this.scheduler = services.scheduler();
    this.nanoTime = services::nanoTime;
    this.log = services.logger();
    FilterMetrics metrics = services.metrics();
    this.fetchSuccesses = metrics.counter("jwks_fetches", "issuer", issuer, "result", "success");
    this.fetchFailures = metrics.counter("jwks_fetches", "issuer", issuer, "result", "failure");
    this.refetchesLimited = metrics.counter("jwks_refetches_limited", "issuer", issuer);
    this.fetchTime = metrics.timer("jwks_fetch", "issuer", issuer);
  }

  /**
   * Called by each filter that uses this cache: takes its settings and starts the first fetch if
   * none ran yet (prefetch at creation, before the first request).
   *
   * @param newSettings the settings of the newest config
   */
  void attach(Settings newSettings) {
    settings = requireNonNull(newSettings, "newSettings");
    synchronized (this) {
      if (!fetchedOnce && inFlight == null) {
        startFetch();
      }
    }
  }

  @Override
  public KeySet current() {
    return keys;
  }

  @Override
  public CompletionStage<KeySet> awaitKeys() {
    KeySet now = keys;
    if (now != null) {
      return CompletableFuture.completedFuture(now);
    }
    synchronized (this) {
      if (inFlight != null) {
        return inFlight.copy();
      }
      if (mayRefetchNow()) {
        return refetch().copy();
      }
    }
    refetchesLimited.increment();
    return CompletableFuture.completedFuture(keys);
  }

  @Override
  public CompletionStage<KeySet> refetchForUnknownKey() {
    synchronized (this) {
      if (inFlight != null) {
        return inFlight.copy();
      }
      if (mayRefetchNow()) {
        return refetch().copy();
      }
    }
    refetchesLimited.increment();
    return CompletableFuture.completedFuture(keys);
  }

  /** Whether a fetch is running, for tests. */
  synchronized boolean fetching() {
    return inFlight != null;
  }

  @Override
  public void close() {
    synchronized (this) {
      closed = true;
      cancelTimer();
    }
  }

  @Override
  public String toString() {
    return "JwksCache{" + uri + ", " + keys + "}";
  }

  /** Whether a request may cause a fetch now: at most one per refetch interval. */
  private boolean mayRefetchNow() {
    return !refetchedOnce
        || nanoTime.getAsLong() - lastRefetchNanos >= settings.refetchInterval().toNanos();
  }

  /** A fetch caused by a request (no keys yet, or an unknown key id); the caller holds the lock. */
  private CompletableFuture<KeySet> refetch() {
    refetchedOnce = true;
    lastRefetchNanos = nanoTime.getAsLong();
    return startFetch();
  }

  /** Starts a fetch; the caller holds the lock and checked that none is in flight. */
  private CompletableFuture<KeySet> startFetch() {
    CompletableFuture<KeySet> done = new CompletableFuture<>();
    if (closed) {
      done.complete(keys);
      return done;
    }
    cancelTimer();
    fetchedOnce = true;
    long start = nanoTime.getAsLong();
    inFlight = done;
    Duration timeout = settings.fetchTimeout();
    ScheduledFuture<?> deadline =
        scheduler.schedule(
            () ->
                finish(
                    done,
                    null,
                    new TimeoutException("no JWKS from " + uri + " within " + timeout),
                    start),
            timeout.toNanos(),
            TimeUnit.NANOSECONDS);
    CompletionStage<String> stage;
    try {
      stage = fetcher.fetch(uri, timeout);
    } catch (RuntimeException e) {
      stage = CompletableFuture.failedFuture(e);
    }
    stage.whenComplete(
        (body, error) -> {
          deadline.cancel(false);
          finish(done, body, error, start);
        });
    return done;
  }

  private void finish(CompletableFuture<KeySet> done, String body, Throwable error, long start) {
    KeySet parsed = null;
    Throwable problem = error;
    while (problem instanceof java.util.concurrent.CompletionException
        && problem.getCause() != null) {
      problem = problem.getCause();
    }
    if (problem == null) {
      try {
        parsed = KeySet.parse(body == null ? "" : body, false);
      } catch (IllegalArgumentException e) {
        problem = e;
      }
    }
    KeySet result;
    int failuresNow;
    synchronized (this) {
      if (inFlight != done) {
        return; // already finished (the deadline and the fetch raced)
      }
      inFlight = null;
      if (parsed != null) {
        keys = parsed;
        failures = 0;
        schedule(scaled(settings.cacheDuration(), REFRESH_AT));
      } else {
        failures++;
        schedule(retryDelay(failures));
      }
      result = keys;
      failuresNow = failures;
    }
    fetchTime.recordNanos(Math.max(0, nanoTime.getAsLong() - start));
    if (parsed != null) {
      fetchSuccesses.increment();
      if (!parsed.skipped().isEmpty()) {
        log.log(Level.DEBUG, "JWKS {0}: skipped {1}", uri, parsed.skipped());
      }
    } else {
      fetchFailures.increment();
      log.log(
          Level.WARNING,
          "JWKS {0}: fetch failed ({1} in a row): {2}; {3}",
          uri,
          failuresNow,
          String.valueOf(problem),
          result == null ? "no keys yet" : "serving the last good keys");
    }
    done.complete(result);
  }

  private void schedule(Duration delay) {
    cancelTimer();
    if (!closed) {
      timer = scheduler.schedule(this::refreshInBackground, delay.toNanos(), TimeUnit.NANOSECONDS);
    }
  }

  private void refreshInBackground() {
    synchronized (this) {
      timer = null;
      if (!closed && inFlight == null) {
        startFetch();
      }
    }
  }

  private void cancelTimer() {
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
  }

  static Duration retryDelay(int failures) {
    long factor = 1L << Math.min(failures - 1, 20);
    Duration delay = FIRST_RETRY.multipliedBy(factor);
    return delay.compareTo(MAX_RETRY) > 0 ? MAX_RETRY : delay;
  }

  private static Duration scaled(Duration d, double share) {
    return Duration.ofNanos((long) (d.toNanos() * share));
  }
}
