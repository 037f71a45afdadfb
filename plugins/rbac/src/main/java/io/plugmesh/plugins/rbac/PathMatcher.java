package io.plugmesh.plugins.rbac;

import static java.util.Objects.requireNonNull;

import java.util.regex.Pattern;

/**
 * Matches a normalized path: exactly, by prefix on segment boundaries (as route matching does:
 * {@code /admin} matches {@code /admin} and {@code /admin/x}, not {@code /administrator}), or by a
 * glob where {@code *} stays within a segment and {@code **} spans segments. With {@code
 * ignoreCase} both sides are compared in lower case, for upstreams that treat paths that way.
 */
sealed interface PathMatcher {

  /** The most wildcards one glob may hold. */
  int MAX_GLOB_WILDCARDS = 8;

  /**
   * Whether the path matches.
   *
   * @param normalizedPath a path from {@link io.plugmesh.filters.ProxyRequest#normalizedPath()}
   * @return true on a match
   */
  boolean matches(String normalizedPath);

  /** The exact path. */
  record Exact(String path, boolean ignoreCase) implements PathMatcher {
    /** Checks the fields. */
    public Exact {
      requireNonNull(path, "path");
    }

    @Override
    public boolean matches(String normalizedPath) {
      return ignoreCase ? path.equalsIgnoreCase(normalizedPath) : path.equals(normalizedPath);
    }
  }

  /** A path prefix on segment boundaries. */
  record Prefix(String prefix, boolean ignoreCase) implements PathMatcher {
    /** Checks the fields. */
    public Prefix {
      requireNonNull(prefix, "prefix");
    }

    @Override
    public boolean matches(String normalizedPath) {
      if (!normalizedPath.regionMatches(ignoreCase, 0, prefix, 0, prefix.length())) {
        return false;
      }
      return prefix.endsWith("/")
          || normalizedPath.length() == prefix.length()
          || normalizedPath.charAt(prefix.length()) == '/';
    }
  }

  /** A glob: {@code *} within a segment, {@code **} across segments. */
  record Glob(String glob, boolean ignoreCase, Pattern pattern) implements PathMatcher {
    /** Checks the fields. */
    public Glob {
      requireNonNull(glob, "glob");
      requireNonNull(pattern, "pattern");
    }

    /**
     * Compiles a glob.
     *
     * @param glob the glob, starting with {@code /}
     * @param ignoreCase whether case is ignored
     * @return the matcher
     * @throws IllegalArgumentException if it has too many wildcards
     */
    static Glob of(String glob, boolean ignoreCase) {
      StringBuilder regex = new StringBuilder();
      int wildcards = 0;
      int literalStart = 0;
      for (int i = 0; i < glob.length(); i++) {
        if (glob.charAt(i) != '*') {
          continue;
        }
        if (i > literalStart) {
          regex.append(Pattern.quote(glob.substring(literalStart, i)));
        }
        if (i + 1 < glob.length() && glob.charAt(i + 1) == '*') {
          regex.append(".*");
          i++;
        } else {
          regex.append("[^/]*");
        }
        literalStart = i + 1;
        wildcards++;
      }
      if (literalStart < glob.length()) {
        regex.append(Pattern.quote(glob.substring(literalStart)));
      }
      if (wildcards > MAX_GLOB_WILDCARDS) {
        throw new IllegalArgumentException(
            "'"
                + glob
                + "' has "
                + wildcards
                + " wildcards (expected: <= "
                + MAX_GLOB_WILDCARDS
                + ")");
      }
      int flags = ignoreCase ? Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE : 0;
      return new Glob(glob, ignoreCase, Pattern.compile(regex.toString(), flags));
    }

    @Override
    public boolean matches(String normalizedPath) {
      return pattern.matcher(normalizedPath).matches();
    }
  }
}
