package io.plugmesh.filters.internal;

import static java.util.Objects.requireNonNull;

import java.util.Locale;
import java.util.Optional;

/**
 * The one path normalizer: the proxy routes on its result and hands it upstream, and filters read
 * it as {@link io.plugmesh.filters.ProxyRequest#normalizedPath()}. It works as Envoy does with
 * {@code normalize_path} and {@code merge_slashes} (Istio's default): percent-decodes unreserved
 * characters only, rejects encoded {@code /}, {@code \} and NUL, merges duplicate slashes and
 * removes dot segments (RFC 3986 5.2.4). So a route or a rule guarding {@code /admin} cannot be
 * bypassed with {@code /public/../admin}, {@code //admin} or {@code /%61dmin}.
 *
 * <p>Percent escapes that stay encoded are written with upper-case hex digits (RFC 3986 6.2.2.1). A
 * path that is already normal is returned as the same string, without allocating.
 *
 * <p>Rejected (no normal form): no leading {@code /}; a control character, space, non-ASCII
 * character, {@code \} or {@code #}; an encoded {@code /}, {@code \} or NUL ({@code %2F}, {@code
 * %5C}, {@code %00}); a malformed or incomplete percent escape.
 *
 * <p>Not part of the API: plugins use {@link io.plugmesh.filters.ProxyRequest#normalizedPath()} and
 * {@link io.plugmesh.filters.ProxyRequest#normalizePath(String)}.
 */
public final class PathNormalizer {
  private PathNormalizer() {}

  /**
   * Normalizes the path of a request target: cuts the query, then {@link #normalize}s.
   *
   * @param pathAndQuery the request target, e.g. {@code /reviews/../admin?x=1}
   * @return the normalized path without the query, or empty if the path has no normal form
   */
  public static Optional<String> normalizeTarget(String pathAndQuery) {
    requireNonNull(pathAndQuery, "pathAndQuery");
    int query = pathAndQuery.indexOf('?');
    String path = query < 0 ? pathAndQuery : pathAndQuery.substring(0, query);
    try {
      return Optional.of(normalize(path));
    } catch (RejectedPathException e) {
      return Optional.empty();
    }
  }

  /**
   * Normalizes a path.
   *
   * @param rawPathWithoutQuery the request path as received, without {@code ?query}
   * @return the normalized path, starting with {@code /}; {@code /} for an empty path
   * @throws RejectedPathException if the path has no normal form (the proxy answers 400)
   */
  public static String normalize(String rawPathWithoutQuery) {
    requireNonNull(rawPathWithoutQuery, "rawPathWithoutQuery");
    String raw = rawPathWithoutQuery;
    if (raw.isEmpty()) {
      return "/";
    }
    if (raw.charAt(0) != '/') {
      throw new RejectedPathException("does not start with '/'");
    }
    if (isNormal(raw)) {
      return raw;
    }
    return removeDotSegments(decode(raw));
  }

  /** True if nothing needs decoding, merging or removing; rejects bad characters on the way. */
  private static boolean isNormal(String path) {
    boolean normal = true;
    int length = path.length();
    for (int i = 0; i < length; i++) {
      char c = path.charAt(i);
      if (c == '%') {
        normal = false;
      } else if (c == '/') {
        if (i + 1 < length) {
          char next = path.charAt(i + 1);
          if (next == '/') {
            normal = false;
          } else if (next == '.' && isDotSegment(path, i + 1)) {
            normal = false;
          }
        }
      } else {
        checkCharacter(c, i);
      }
    }
    return normal;
  }

  /** True if a segment starting at {@code start} is {@code .} or {@code ..}. */
  private static boolean isDotSegment(String path, int start) {
    int end = path.indexOf('/', start);
    int length = (end < 0 ? path.length() : end) - start;
    return length == 1 || (length == 2 && path.charAt(start + 1) == '.');
  }

  private static void checkCharacter(char c, int index) {
    if (c <= 0x20 || c >= 0x7f) {
      throw new RejectedPathException(
          "character 0x"
              + Integer.toHexString(c)
              + " at index "
              + index
              + " (expected: visible ASCII)");
    }
    if (c == '\\') {
      throw new RejectedPathException("'\\' at index " + index);
    }
    if (c == '#') {
      throw new RejectedPathException(
          "'#' at index " + index + " (expected: no fragment in a request target)");
    }
  }

  /** Decodes unreserved escapes, upper-cases the rest, merges slashes. */
  private static String decode(String path) {
    int length = path.length();
    StringBuilder out = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      char c = path.charAt(i);
      if (c == '%') {
        if (i + 2 >= length) {
          throw new RejectedPathException("incomplete percent escape at index " + i);
        }
        int hi = hex(path.charAt(i + 1));
        int lo = hex(path.charAt(i + 2));
        if (hi < 0 || lo < 0) {
          throw new RejectedPathException("invalid percent escape at index " + i);
        }
        char decoded = (char) (hi << 4 | lo);
        if (decoded == '/' || decoded == '\\' || decoded == 0) {
          throw new RejectedPathException(
              "encoded "
                  + (decoded == 0 ? "NUL" : "'" + decoded + "'")
                  + " (%"
                  + path.substring(i + 1, i + 3).toUpperCase(Locale.ROOT)
                  + ") at index "
                  + i);
        }
        i += 2;
        if (isUnreserved(decoded)) {
          c = decoded;
        } else {
          out.append('%').append(Character.toUpperCase(path.charAt(i - 1)));
          out.append(Character.toUpperCase(path.charAt(i)));
          continue;
        }
      } else if (c != '/') {
        checkCharacter(c, i);
      }
      if (c == '/' && out.length() > 0 && out.charAt(out.length() - 1) == '/') {
        continue;
      }
      out.append(c);
    }
    return out.toString();
  }

  /** The value of an ASCII hex digit, or -1. */
  private static int hex(char c) {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
    }
    return -1;
  }

  private static boolean isUnreserved(char c) {
    return (c >= 'a' && c <= 'z')
        || (c >= 'A' && c <= 'Z')
        || (c >= '0' && c <= '9')
        || c == '-'
        || c == '.'
        || c == '_'
        || c == '~';
  }

  /**
   * RFC 3986 5.2.4 on an absolute path whose slashes are already merged: {@code .} segments go,
   * {@code ..} removes the segment before it (never above the root); a trailing {@code .} or {@code
   * ..} leaves a trailing slash.
   */
  private static String removeDotSegments(String path) {
    StringBuilder out = new StringBuilder(path.length());
    int length = path.length();
    int i = 0;
    while (i < length) {
      // path.charAt(i) == '/'
      int end = path.indexOf('/', i + 1);
      if (end < 0) {
        end = length;
      }
      int segment = end - i - 1;
      boolean last = end == length;
      if (segment == 1 && path.charAt(i + 1) == '.') {
        if (last) {
          out.append('/');
        }
      } else if (segment == 2 && path.charAt(i + 1) == '.' && path.charAt(i + 2) == '.') {
        int cut = out.lastIndexOf("/");
        out.setLength(Math.max(cut, 0));
        if (last) {
          out.append('/');
        }
      } else {
        out.append(path, i, end);
      }
      i = end;
    }
    return out.length() == 0 ? "/" : out.toString();
  }
}
