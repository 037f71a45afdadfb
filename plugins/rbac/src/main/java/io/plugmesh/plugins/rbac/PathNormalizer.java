package io.plugmesh.plugins.rbac;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Puts a request path in the one form rules are written for, so an encoded or padded path cannot
 * slip past a rule: the query is cut, percent escapes of unreserved characters are decoded (other
 * escapes keep upper-case hex), duplicate slashes are merged and {@code .} / {@code ..} segments
 * removed (RFC 3986 5.2.4, never above the root). A path that cannot be put in that form safely (an
 * encoded {@code /}, {@code \} or NUL, a bad escape, a control character, a backslash, no leading
 * slash) has no normal form, and rbac refuses it.
 *
 * <p>Same rules as the proxy applies before routing; rbac applies them again because a plugin may
 * run after a path rewrite, and must not depend on what ran before it.
 */
final class PathNormalizer {
  private PathNormalizer() {}

  /**
   * Normalizes a request target.
   *
   * @param target the path with an optional query, as the filter sees it
   * @return the normal path, or empty when the path must be refused
   */
  static Optional<String> normalize(String target) {
    int end = target.length();
    int query = target.indexOf('?');
    if (query >= 0) {
      end = query;
    }
    int fragment = target.indexOf('#');
    if (fragment >= 0 && fragment < end) {
      end = fragment;
    }
    String path = target.substring(0, end);
    if (path.isEmpty()) {
      return Optional.of("/");
    }
    if (path.charAt(0) != '/') {
      return Optional.empty();
    }
    String decoded = decodeUnreserved(path);
    if (decoded == null) {
      return Optional.empty();
    }
    return Optional.of(removeDotSegments(decoded));
  }

  /** Decodes escapes of unreserved characters; null if the path holds something unsafe. */
  private static String decodeUnreserved(String path) {
    StringBuilder out = new StringBuilder(path.length());
    for (int i = 0; i < path.length(); i++) {
      char c = path.charAt(i);
      if (c == '%') {
        if (i + 2 >= path.length()) {
          return null;
        }
        int hi = hex(path.charAt(i + 1));
        int lo = hex(path.charAt(i + 2));
        if (hi < 0 || lo < 0) {
          return null;
        }
        char decoded = (char) (hi << 4 | lo);
        if (decoded == '/' || decoded == '\\' || decoded == 0) {
          return null;
        }
        if (isUnreserved(decoded)) {
          out.append(decoded);
        } else {
          out.append('%').append(Character.toUpperCase(path.charAt(i + 1)));
          out.append(Character.toUpperCase(path.charAt(i + 2)));
        }
        i += 2;
      } else if (c <= 0x20 || c >= 0x7f || c == '\\') {
        return null;
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  private static String removeDotSegments(String path) {
    String[] segments = path.split("/", -1);
    List<String> kept = new ArrayList<>(segments.length);
    boolean trailingSlash = path.endsWith("/");
    for (int i = 1; i < segments.length; i++) {
      String segment = segments[i];
      boolean last = i == segments.length - 1;
      if (segment.isEmpty()) {
        continue;
      }
      if (segment.equals(".") || segment.equals("..")) {
        if (segment.equals("..") && !kept.isEmpty()) {
          kept.remove(kept.size() - 1);
        }
        trailingSlash |= last;
        continue;
      }
      kept.add(segment);
    }
    if (kept.isEmpty()) {
      return "/";
    }
    return "/" + String.join("/", kept) + (trailingSlash ? "/" : "");
  }

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
}
