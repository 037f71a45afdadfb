package io.plugmesh.config;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A configuration is invalid. Carries every problem found (not only the first), each naming the
 * route, plugin and field, and a message with one problem per line, e.g.
 *
 * <pre>
 * invalid config routes.yaml (2 problems):
 *   route 'reviews-read', plugin 'ratelimit' (#3): config.tokens: -1 (expected: &gt; 0)
 *   clusters[1] 'reviews-v2': endpoints[0].address: "foo" (expected: host:port)
 * </pre>
 */
public final class ConfigError extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String source;
  private final transient List<Problem> problems;

  /**
   * An error with the given problems, rendered with {@link Problem#toString()}.
   *
   * @param problems at least one problem
   */
  public ConfigError(List<Problem> problems) {
    this(null, problems);
  }

  /**
   * An error with the given problems in a named source, rendered with {@link Problem#toString()}.
   *
   * @param source where the config came from (a file name, "control stream"), or null
   * @param problems at least one problem
   */
  public ConfigError(String source, List<Problem> problems) {
    this(source, problems, problems.stream().map(Problem::toString).toList());
  }

  /** With lines rendered by whoever knows the names of the entities the fields point into. */
  ConfigError(String source, List<Problem> problems, List<String> lines) {
    super(render(source, lines));
    if (problems.isEmpty()) {
      throw new IllegalArgumentException("problems: empty (expected: at least one problem)");
    }
    this.source = source;
    this.problems = List.copyOf(problems);
  }

  private static String render(String source, List<String> lines) {
    StringBuilder sb = new StringBuilder("invalid config");
    if (source != null && !source.isEmpty()) {
      sb.append(' ').append(source);
    }
    sb.append(" (").append(lines.size()).append(lines.size() == 1 ? " problem):" : " problems):");
    for (String line : lines) {
      sb.append("\n  ").append(line);
    }
    return sb.toString();
  }

  /**
   * Every problem found, in document order.
   *
   * @return the problems, never empty
   */
  public List<Problem> problems() {
    return problems;
  }

  /**
   * Where the config came from.
   *
   * @return a file name or a description such as {@code control stream}, or null
   */
  public String source() {
    return source;
  }

  /**
   * One thing wrong with a configuration.
   *
   * @param route the name of the route the problem is in, or null
   * @param plugin the name of the plugin entry the problem is in, or null
   * @param field the path of the offending value from the document root, e.g. {@code
   *     routes[0].plugins[2].config.tokens} or {@code clusters[1].endpoints[0].address}; empty for
   *     the document as a whole
   * @param message what was wrong and what was expected, e.g. {@code -1 (expected: > 0)}
   */
  public record Problem(String route, String plugin, String field, String message) {
    private static final Pattern ROUTE_PREFIX = Pattern.compile("routes\\[\\d+]\\.?");
    private static final Pattern PLUGIN_PREFIX = Pattern.compile("plugins\\[(\\d+)]\\.?");

    /** Checks the required parts. */
    public Problem {
      requireNonNull(field, "field");
      requireNonNull(message, "message");
    }

    /**
     * A problem outside any route.
     *
     * @param field the path from the document root
     * @param message what was wrong and what was expected
     * @return the problem
     */
    public static Problem at(String field, String message) {
      return new Problem(null, null, field, message);
    }

    /**
     * The problem as one line, e.g. {@code route 'reviews-read', plugin 'ratelimit' (#3):
     * config.tokens: -1 (expected: > 0)}. Inside a route the field is shown relative to the route
     * (or plugin), and the plugin's position in the chain is shown counting from 1.
     */
    @Override
    public String toString() {
      StringBuilder sb = new StringBuilder();
      String rest = field;
      if (route != null) {
        sb.append("route '").append(route).append('\'');
        Matcher m = ROUTE_PREFIX.matcher(rest);
        if (m.lookingAt()) {
          rest = rest.substring(m.end());
        }
      }
      if (plugin != null) {
        sb.append(sb.length() > 0 ? ", " : "").append("plugin '").append(plugin).append('\'');
        Matcher m = PLUGIN_PREFIX.matcher(rest);
        if (m.lookingAt()) {
          sb.append(" (#").append(Long.parseLong(m.group(1)) + 1).append(')');
          rest = rest.substring(m.end());
        }
      }
      if (sb.length() > 0) {
        sb.append(": ");
      }
      if (!rest.isEmpty()) {
        sb.append(rest).append(": ");
      }
      return sb.append(message).toString();
    }
  }
}
