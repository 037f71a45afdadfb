package io.plugmesh.control.server.ca;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The join tokens proxies bootstrap with, each entitling its holder to one {@link Identity}. Only
 * SHA-256 digests of the tokens are kept, so a lookup takes the same time whatever the token and
 * the tokens themselves are never held, logged or dumped.
 *
 * <p>File format: one token per line, {@code <token> <namespace>/<service>}; blank lines and lines
 * starting with {@code #} are ignored.
 */
public final class JoinTokens {
  /** The most tokens one file may hold. */
  public static final int MAX_TOKENS = 100_000;

  /** The shortest token accepted: 16 characters. */
  public static final int MIN_TOKEN_LENGTH = 16;

  private final Map<String, Identity> byDigest;

  private JoinTokens(Map<String, Identity> byDigest) {
    this.byDigest = Map.copyOf(byDigest);
  }

  /**
   * Join tokens from a map.
   *
   * @param tokens token to identity
   * @return the tokens
   * @throws IllegalArgumentException for a token shorter than {@link #MIN_TOKEN_LENGTH}
   */
  public static JoinTokens of(Map<String, Identity> tokens) {
    requireNonNull(tokens, "tokens");
    if (tokens.size() > MAX_TOKENS) {
      throw new IllegalArgumentException(
          "join tokens: " + tokens.size() + " (expected: at most " + MAX_TOKENS + ")");
    }
    Map<String, Identity> out = new HashMap<>();
    int i = 0;
    for (Map.Entry<String, Identity> e : tokens.entrySet()) {
      i++;
      check(e.getKey(), "join token #" + i + " (for " + e.getValue() + ")");
      out.put(digest(e.getKey()), requireNonNull(e.getValue(), "identity"));
    }
    return new JoinTokens(out);
  }

  /**
   * Reads a join token file.
   *
   * @param file the file
   * @return the tokens
   * @throws IOException when the file cannot be read
   * @throws IllegalArgumentException naming the line when a line is malformed
   */
  public static JoinTokens read(Path file) throws IOException {
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    Map<String, Identity> out = new HashMap<>();
    for (int n = 0; n < lines.size(); n++) {
      String line = lines.get(n).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String where = file.getFileName() + ":" + (n + 1);
      String[] parts = line.split("\\s+");
      int slash = parts.length == 2 ? parts[1].indexOf('/') : -1;
      if (slash <= 0 || slash == parts[1].length() - 1 || parts[1].indexOf('/', slash + 1) >= 0) {
        throw new IllegalArgumentException(
            where + ": malformed line (expected: <token> <namespace>/<service>)");
      }
      check(parts[0], where);
      if (out.size() >= MAX_TOKENS) {
        throw new IllegalArgumentException(
            where + ": too many tokens (expected: at most " + MAX_TOKENS + ")");
      }
      out.put(
          digest(parts[0]),
          new Identity(parts[1].substring(0, slash), parts[1].substring(slash + 1)));
    }
    return new JoinTokens(out);
  }

  private static void check(String token, String where) {
    if (token == null || token.length() < MIN_TOKEN_LENGTH) {
      throw new IllegalArgumentException(
          where + ": token too short (expected: at least " + MIN_TOKEN_LENGTH + " characters)");
    }
  }

  /**
   * The identity a token entitles to.
   *
   * @param token the presented token, or null
   * @return the identity, or empty for an unknown token
   */
  public Optional<Identity> identity(String token) {
    if (token == null || token.isEmpty()) {
      return Optional.empty();
    }
    return Optional.ofNullable(byDigest.get(digest(token)));
  }

  /**
   * The identities tokens entitle to.
   *
   * @return the distinct identities
   */
  public java.util.Set<Identity> identities() {
    return java.util.Set.copyOf(byDigest.values());
  }

  /**
   * How many tokens there are.
   *
   * @return the count
   */
  public int size() {
    return byDigest.size();
  }

  private static String digest(String token) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(sha.digest(token.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 unavailable", e);
    }
  }

  @Override
  public String toString() {
    return "JoinTokens[" + byDigest.size() + " tokens]";
  }
}
