package io.plugmesh.pluginruntime.jar;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The plugins directory and the host's private copies of its jars. Lists the jars, tells a changed
 * jar by its size and modification time, and stages a jar: copies it to a private folder while
 * hashing it, so the jar in the plugins directory may be overwritten or removed at any time while
 * its staged copy stays loaded.
 *
 * <p>Not thread-safe: the plugin host calls it under its own lock.
 */
public final class PluginDirectory implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PluginDirectory.class);

  private static final String JAR_SUFFIX = ".jar";
  private static final String DIGEST_ALGORITHM = "SHA-256";
  private static final String STAGING_PREFIX = "plugmesh-plugins-";

  private final Path dir;
  private final int maxJars;
  private Path staging;
  private long staged;

  /**
   * Size and modification time of a jar, to notice a change without reading it.
   *
   * @param size the size in bytes
   * @param modified the modification time in epoch milliseconds
   */
  public record Stamp(long size, long modified) {
    /**
     * Reads a jar's stamp.
     *
     * @param path the jar
     * @return its size and modification time
     * @throws IOException when the file cannot be read
     */
    public static Stamp of(Path path) throws IOException {
      return new Stamp(Files.size(path), Files.getLastModifiedTime(path).toMillis());
    }
  }

  /**
   * A jar's private copy.
   *
   * @param path the copy in the staging folder
   * @param digest the SHA-256 of its content
   */
  public record Staged(Path path, byte[] digest) {}

  /**
   * Creates the directory view; nothing is read or created yet.
   *
   * @param dir the plugins directory; it need not exist
   * @param maxJars the most jars {@link #list()} returns; more are ignored with a warning
   */
  public PluginDirectory(Path dir, int maxJars) {
    this.dir = requireNonNull(dir, "dir");
    if (maxJars <= 0) {
      throw new IllegalArgumentException("maxJars: " + maxJars + " (expected: > 0)");
    }
    this.maxJars = maxJars;
  }

  /**
   * The plugins directory.
   *
   * @return the directory
   */
  public Path dir() {
    return dir;
  }

  /**
   * The jars of the plugins directory, sorted by path, at most {@code maxJars}.
   *
   * @return the jars (none when the directory does not exist), or empty when the directory exists
   *     but cannot be listed (logged)
   */
  public Optional<List<Path>> list() {
    if (!Files.isDirectory(dir)) {
      return Optional.of(List.of());
    }
    List<Path> found = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      for (Path path : entries) {
        if (path.getFileName().toString().endsWith(JAR_SUFFIX) && Files.isRegularFile(path)) {
          found.add(path);
        }
      }
    } catch (IOException e) {
      log.error("cannot list plugins directory {}: {}", dir, e.toString());
      return Optional.empty();
    }
    found.sort(Comparator.comparing(Path::toString));
    if (found.size() > maxJars) {
      log.warn(
          "plugins directory {} holds {} jars; only the first {} are read",
          dir,
          found.size(),
          maxJars);
      return Optional.of(List.copyOf(found.subList(0, maxJars)));
    }
    return Optional.of(found);
  }

  /**
   * Copies a jar to the staging folder (created on first use) under a name no other copy has.
   *
   * @param source the jar in the plugins directory
   * @return the copy and its digest
   * @throws IOException when the jar cannot be read or the copy written
   */
  public Staged stage(Path source) throws IOException {
    if (staging == null) {
      staging = Files.createTempDirectory(STAGING_PREFIX);
    }
    Path target = staging.resolve(++staged + "-" + source.getFileName());
    return new Staged(target, copyWithDigest(source, target));
  }

  private static byte[] copyWithDigest(Path source, Path target) throws IOException {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance(DIGEST_ALGORITHM);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    try (InputStream in = new DigestInputStream(Files.newInputStream(source), sha)) {
      Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
    }
    return sha.digest();
  }

  /**
   * Deletes a file if it exists; a failure is logged at debug level.
   *
   * @param path the file
   */
  public static void deleteQuietly(Path path) {
    try {
      Files.deleteIfExists(path);
    } catch (IOException e) {
      log.debug("cannot delete {}", path, e);
    }
  }

  /** Deletes the staging folder with every copy left in it. */
  @Override
  public void close() {
    if (staging == null) {
      return;
    }
    try (DirectoryStream<Path> left = Files.newDirectoryStream(staging)) {
      left.forEach(PluginDirectory::deleteQuietly);
    } catch (IOException e) {
      log.debug("cannot clean {}", staging, e);
    }
    deleteQuietly(staging);
  }
}
