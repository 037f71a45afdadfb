package io.plugmesh.kernel.tls;

import static java.util.Objects.requireNonNull;

import io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An {@link SslContext} built from certificate, key and trust bundle files, rebuilt when their
 * content changes (checked every {@link #POLL_INTERVAL}) and swapped atomically. New connections
 * take {@link #current()}; existing connections keep the context they were made with, which is why
 * a rotation fails no request. A change that does not load (e.g. a certificate written before its
 * key) keeps the previous context and is retried on the next poll.
 */
public final class CertificateSource implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(CertificateSource.class);

  /** How often the files are checked for changes. */
  public static final Duration POLL_INTERVAL = Duration.ofSeconds(1);

  /**
   * A built context.
   *
   * @param context the context for new connections
   * @param generation increases with every successful reload, starting at 1
   * @param identity the {@code spiffe://} identity of the local certificate, or null
   */
  public record Loaded(SslContext context, long generation, String identity) {}

  /** What a source builds from its files. */
  @FunctionalInterface
  interface Builder {
    Built build() throws IOException;
  }

  /** A context and the identity of the certificate it presents. */
  record Built(SslContext context, String identity) {}

  private final String name;
  private final List<Path> files;
  private final Builder builder;
  private final ScheduledFuture<?> task;
  private volatile Loaded current;
  private byte[][] digests;
  private byte[][] failedDigests;

  private CertificateSource(String name, List<Path> files, Builder builder, Duration interval)
      throws IOException {
    this.name = requireNonNull(name, "name");
    this.files = List.copyOf(files);
    this.builder = requireNonNull(builder, "builder");
    byte[][] first = digest();
    Built built = build();
    this.digests = first;
    this.current = new Loaded(built.context(), 1, built.identity());
    long millis = Math.max(1, interval.toMillis());
    this.task =
        Poller.EXECUTOR.scheduleWithFixedDelay(
            this::pollQuietly, millis, millis, TimeUnit.MILLISECONDS);
  }

  static CertificateSource start(String name, List<Path> files, Builder builder)
      throws IOException {
    return new CertificateSource(name, files, builder, POLL_INTERVAL);
  }

  /**
   * The context for new connections.
   *
   * @return the current context, its generation and identity
   */
  public Loaded current() {
    return current;
  }

  /**
   * Checks the files now and reloads when they changed (the poller calls this).
   *
   * @return true when a new context was loaded
   */
  public synchronized boolean poll() {
    byte[][] now;
    try {
      now = digest();
    } catch (IOException e) {
      // A file being replaced; try again on the next poll.
      return false;
    }
    if (Arrays.deepEquals(now, digests)) {
      return false;
    }
    try {
      Built built = build();
      digests = now;
      failedDigests = null;
      Loaded previous = current;
      current = new Loaded(built.context(), previous.generation() + 1, built.identity());
      log.info(
          "TLS files of {} reloaded (generation {}, identity {})",
          name,
          current.generation(),
          built.identity() == null ? "-" : built.identity());
      return true;
    } catch (IOException | RuntimeException e) {
      if (!Arrays.deepEquals(now, failedDigests)) {
        failedDigests = now;
        log.warn(
            "TLS files of {} changed but do not load, keeping the previous ones: {}",
            name,
            e.getMessage());
      }
      return false;
    }
  }

  private void pollQuietly() {
    try {
      poll();
    } catch (RuntimeException e) {
      log.warn("checking the TLS files of {} failed", name, e);
    }
  }

  private Built build() throws IOException {
    try {
      return builder.build();
    } catch (IOException e) {
      throw new IOException(name + ": " + e.getMessage(), e);
    }
  }

  private byte[][] digest() throws IOException {
    List<byte[]> out = new ArrayList<>(files.size());
    for (Path file : files) {
      if (Files.size(file) > TlsFiles.MAX_FILE_BYTES) {
        throw new IOException(file + " too large");
      }
      out.add(sha256().digest(Files.readAllBytes(file)));
    }
    return out.toArray(new byte[0][]);
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Stops watching the files; the current context stays usable. */
  @Override
  public void close() {
    task.cancel(false);
  }

  /** The one daemon thread that checks every source's files. */
  private static final class Poller {
    static final ScheduledExecutorService EXECUTOR =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "plugmesh-tls-reload");
              t.setDaemon(true);
              return t;
            });
  }
}
