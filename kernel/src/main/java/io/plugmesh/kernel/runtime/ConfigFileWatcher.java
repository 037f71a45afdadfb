package io.plugmesh.kernel.runtime;

import io.plugmesh.config.ConfigLoader;
import io.plugmesh.config.MeshConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies a static config file again whenever its content changes. An invalid edit is logged with
 * the route, plugin and field, and the previous config keeps serving.
 */
public final class ConfigFileWatcher implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ConfigFileWatcher.class);

  /** How often the file is checked, in milliseconds. */
  public static final long POLL_MILLIS = 500;

  private final Path file;
  private final Kernel kernel;
  private final ScheduledExecutorService poller;
  private byte[] appliedDigest;
  private byte[] rejectedDigest;
  private volatile String lastError;

  private ConfigFileWatcher(Path file, Kernel kernel, byte[] appliedDigest) {
    this.file = file;
    this.kernel = kernel;
    this.appliedDigest = appliedDigest;
    this.poller =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "plugmesh-config-watch");
              t.setDaemon(true);
              return t;
            });
  }

  /**
   * Loads the file into the kernel and keeps watching it.
   *
   * @param file the config file
   * @param kernel the kernel
   * @return the watcher
   * @throws IOException if the file cannot be read
   */
  public static ConfigFileWatcher start(Path file, Kernel kernel) throws IOException {
    byte[] bytes = Files.readAllBytes(file);
    MeshConfig config =
        ConfigLoader.parseYaml(
            new String(bytes, java.nio.charset.StandardCharsets.UTF_8), file.toString());
    kernel.apply(config);
    ConfigFileWatcher watcher = new ConfigFileWatcher(file, kernel, digest(bytes));
    watcher.poller.scheduleWithFixedDelay(
        watcher::poll, POLL_MILLIS, POLL_MILLIS, TimeUnit.MILLISECONDS);
    return watcher;
  }

  /**
   * The error of the last rejected edit, if the file currently holds one.
   *
   * @return the error or null
   */
  public String lastError() {
    return lastError;
  }

  private void poll() {
    try {
      byte[] bytes = Files.readAllBytes(file);
      byte[] digest = digest(bytes);
      if (Arrays.equals(digest, appliedDigest) || Arrays.equals(digest, rejectedDigest)) {
        return;
      }
      try {
        MeshConfig config =
            ConfigLoader.parseYaml(
                new String(bytes, java.nio.charset.StandardCharsets.UTF_8), file.toString());
        long version = kernel.apply(config);
        appliedDigest = digest;
        rejectedDigest = null;
        lastError = null;
        log.info("{} changed: applied as config version {}", file, version);
      } catch (RuntimeException e) {
        rejectedDigest = digest;
        lastError = e.getMessage();
        log.error(
            "{} changed but was rejected; the previous config keeps serving:\n{}",
            file,
            e.getMessage());
      }
    } catch (IOException e) {
      log.warn("cannot read {}: {}", file, e.toString());
    } catch (RuntimeException e) {
      log.error("config watch failed", e);
    }
  }

  private static byte[] digest(byte[] bytes) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    poller.shutdownNow();
  }
}
