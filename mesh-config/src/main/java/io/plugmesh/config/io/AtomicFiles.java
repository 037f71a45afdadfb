package io.plugmesh.config.io;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Replaces a file as a whole: the content goes to a temporary file beside it, which is then renamed
 * over it (atomically where the file system can), so a reader or a crash sees the old file or the
 * new one, never half of one. The temporary file's name starts with a dot and ends with {@code
 * .tmp}, so folders read by pattern (e.g. {@code *.json}) do not pick it up.
 */
public final class AtomicFiles {
  private static final String TEMP_SUFFIX = ".tmp";
  private static final Set<PosixFilePermission> OWNER_ONLY =
      PosixFilePermissions.fromString("rw-------");

  private AtomicFiles() {}

  /**
   * Replaces {@code file} with {@code content}; a new file gets the permissions the process creates
   * files with.
   *
   * @param file the file; its folder must exist
   * @param content the new content
   * @throws IOException when the file cannot be written
   */
  public static void write(Path file, byte[] content) throws IOException {
    replace(file, content, false);
  }

  /**
   * Replaces {@code file} with {@code content} readable and writable by its owner alone ({@code
   * rw-------}) where the file system has POSIX permissions: for keys, and for state that may hold
   * secrets.
   *
   * @param file the file; its folder must exist
   * @param content the new content
   * @throws IOException when the file cannot be written
   */
  public static void writePrivate(Path file, byte[] content) throws IOException {
    replace(file, content, true);
  }

  private static void replace(Path file, byte[] content, boolean ownerOnly) throws IOException {
    requireNonNull(file, "file");
    requireNonNull(content, "content");
    Path tmp =
        file.resolveSibling(
            "."
                + file.getFileName()
                + "."
                + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36)
                + TEMP_SUFFIX);
    try {
      create(tmp, ownerOnly);
      Files.write(tmp, content);
      try {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  private static void create(Path tmp, boolean ownerOnly) throws IOException {
    if (ownerOnly) {
      FileAttribute<Set<PosixFilePermission>> attribute =
          PosixFilePermissions.asFileAttribute(OWNER_ONLY);
      try {
        Files.createFile(tmp, attribute);
        return;
      } catch (UnsupportedOperationException e) {
        // No POSIX permissions here (e.g. Windows): the folder's own access rules apply.
      }
    }
    Files.createFile(tmp);
  }
}
