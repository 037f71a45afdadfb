package io.plugmesh.plugins.ratelimit;

import static java.util.Objects.requireNonNull;

import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.proxy.AsyncProxyManager;
import io.github.bucket4j.redis.lettuce.Bucket4jLettuce;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.metrics.CommandLatencyRecorder;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import io.netty.util.concurrent.FastThreadLocal;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One Redis connection shared by every route and config version of the plugin (through {@link
 * io.plugmesh.filters.FilterServices#shared}), closed when the plugin unloads. Commands are
 * asynchronous; while the connection is down they fail at once (never queued), the connection comes
 * back by itself, and a first connection that fails is tried again. Commands asked for while the
 * first connection is being made wait for it (a new plugin version connects while routes move to
 * it).
 *
 * <p>The client runs on the plugin's own copy of Netty (relocated into the plugin jar), so each
 * loaded version of the plugin has its own. Its threads are the client's; on a proxy thread (the
 * one that creates or closes the connection) the plugin's Netty leaves no thread-local behind, or
 * that thread would keep an unloaded version's classes.
 */
final class RedisConnection implements AutoCloseable {

  /** I/O threads of the Redis client: 1 (one connection). */
  static final int IO_THREADS = 1;

  /** Computation threads of the Redis client: 1. */
  static final int COMPUTATION_THREADS = 1;

  /** How long connecting may take: 1s. */
  static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(1);

  /**
   * How long the client keeps a command before failing it: 1s. Requests give up much earlier (the
   * route's {@code redis.timeout}); this only clears commands a hung server never answers.
   */
  static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(1);

  /** First delay before reconnecting: 10ms, doubling up to {@link #RECONNECT_MAX_DELAY}. */
  static final Duration RECONNECT_MIN_DELAY = Duration.ofMillis(10);

  /** Longest delay between reconnect attempts: 1s, so recovery is seen within about a second. */
  static final Duration RECONNECT_MAX_DELAY = Duration.ofSeconds(1);

  /** Commands the client holds at most while waiting for answers: 10,000; more fail at once. */
  static final int MAX_QUEUED_COMMANDS = 10_000;

  /** A full bucket stays in Redis this long after its last write: 60s. */
  static final Duration KEEP_FULL_BUCKET = Duration.ofSeconds(60);

  /**
   * How long {@link #open} waits for the first connection: 1s, as long as connecting may take. The
   * chains of a new config version (or of a plugin version just loaded) are built with a connected
   * client and the proxy switches to them after that; requests that still find it connecting wait
   * for it within their route's timeout.
   */
  static final Duration FIRST_CONNECTION_WAIT = CONNECT_TIMEOUT;

  /** How long closing waits for the client's threads: 2s. */
  static final Duration SHUTDOWN_TIMEOUT = Duration.ofSeconds(2);

  /**
   * Whether Netty is the plugin's own copy (in the plugin jar), not the proxy's (as when the
   * module's classes run in its tests).
   */
  private static final boolean OWN_NETTY =
      FastThreadLocal.class.getClassLoader() == RedisConnection.class.getClassLoader();

  private final RedisURI redisUri;
  private final ClientResources resources;
  private final RedisClient client;
  private final AtomicBoolean connecting = new AtomicBoolean();
  private final CompletableFuture<Void> firstAttempt = new CompletableFuture<>();
  private volatile StatefulRedisConnection<byte[], byte[]> connection;
  private volatile AsyncProxyManager<byte[]> proxyManager;
  private volatile boolean closed;
  private volatile Throwable lastError;

  /**
   * Creates the client and waits up to {@link #FIRST_CONNECTION_WAIT} for its first connection; a
   * failed or slower one goes on in the background.
   *
   * @param uri the Redis URI
   * @return the connection, connected unless the first attempt failed or is still running
   */
  static RedisConnection open(URI uri) {
    RedisConnection connection = new RedisConnection(uri);
    try {
      connection.firstAttempt.get(FIRST_CONNECTION_WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      // Requests wait for it or take the failure policy; the client keeps trying.
    }
    return connection;
  }

  /**
   * Creates the client and starts connecting (asynchronously).
   *
   * @param uri the Redis URI
   */
  private RedisConnection(URI uri) {
    requireNonNull(uri, "uri");
    // Lettuce loads some classes (JFR events) through the context class loader, and its threads
    // inherit it: make it the plugin's own while the client is created and connects.
    Thread thread = Thread.currentThread();
    ClassLoader previous = thread.getContextClassLoader();
    thread.setContextClassLoader(RedisConnection.class.getClassLoader());
    try {
      this.redisUri = RedisURI.create(uri);
      redisUri.setTimeout(COMMAND_TIMEOUT);
      this.resources =
          ClientResources.builder()
              .ioThreadPoolSize(IO_THREADS)
              .computationThreadPoolSize(COMPUTATION_THREADS)
              .reconnectDelay(
                  Delay.exponential(
                      RECONNECT_MIN_DELAY, RECONNECT_MAX_DELAY, 2, TimeUnit.MILLISECONDS))
              .commandLatencyRecorder(CommandLatencyRecorder.disabled())
              .build();
      this.client = RedisClient.create(resources);
      client.setOptions(
          ClientOptions.builder()
              .autoReconnect(true)
              .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
              .requestQueueSize(MAX_QUEUED_COMMANDS)
              .timeoutOptions(TimeoutOptions.enabled(COMMAND_TIMEOUT))
              .socketOptions(SocketOptions.builder().connectTimeout(CONNECT_TIMEOUT).build())
              .build());
      connect();
    } finally {
      thread.setContextClassLoader(previous);
      leaveNoThreadLocals();
    }
  }

  private void connect() {
    if (closed || !connecting.compareAndSet(false, true)) {
      return;
    }
    CompletableFuture<StatefulRedisConnection<byte[], byte[]>> pending;
    try {
      pending = client.connectAsync(ByteArrayCodec.INSTANCE, redisUri).toCompletableFuture();
    } catch (RuntimeException e) {
      pending = CompletableFuture.failedFuture(e);
    }
    pending.whenComplete(
        (c, error) -> {
          try {
            connected(c, error);
          } finally {
            firstAttempt.complete(null);
          }
        });
  }

  private void connected(StatefulRedisConnection<byte[], byte[]> c, Throwable error) {
    connecting.set(false);
    if (error != null) {
      lastError = error;
      if (!closed) {
        resources
            .eventExecutorGroup()
            .schedule(this::connect, RECONNECT_MAX_DELAY.toMillis(), TimeUnit.MILLISECONDS);
      }
      return;
    }
    if (closed) {
      c.closeAsync();
      return;
    }
    proxyManager =
        Bucket4jLettuce.casBasedBuilder(c)
            .expirationAfterWrite(
                ExpirationAfterWriteStrategy.basedOnTimeForRefillingBucketUpToMax(KEEP_FULL_BUCKET))
            .build()
            .asAsync();
    connection = c;
  }

  /**
   * The bucket proxy manager, once a connection was made.
   *
   * @return the manager, or null before the first connection succeeded
   */
  AsyncProxyManager<byte[]> proxyManager() {
    return proxyManager;
  }

  /**
   * Completes when the first connection attempt ended, made or failed (at once after it).
   *
   * @return the stage; never fails
   */
  CompletableFuture<Void> firstAttempt() {
    return firstAttempt;
  }

  /**
   * Why the last connection attempt failed.
   *
   * @return the failure, or null
   */
  Throwable lastError() {
    return lastError;
  }

  /**
   * Whether the connection is up now.
   *
   * @return true when connected
   */
  boolean connected() {
    StatefulRedisConnection<byte[], byte[]> c = connection;
    return c != null && c.isOpen();
  }

  /** Closes the connection and the client's threads. */
  @Override
  public void close() {
    closed = true;
    try {
      StatefulRedisConnection<byte[], byte[]> c = connection;
      if (c != null) {
        c.close();
      }
      client.shutdown(Duration.ZERO, SHUTDOWN_TIMEOUT);
      resources.shutdown(0, SHUTDOWN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } finally {
      leaveNoThreadLocals();
    }
  }

  /** Drops what the plugin's own Netty keeps for the current thread, a thread of the proxy. */
  private static void leaveNoThreadLocals() {
    if (OWN_NETTY) {
      FastThreadLocal.removeAll();
    }
  }

  @Override
  public String toString() {
    return "RedisConnection{" + redisUri.getHost() + ":" + redisUri.getPort() + "}";
  }
}
