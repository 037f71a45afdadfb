package io.plugmesh.pluginruntime;

import static java.util.Objects.requireNonNull;

import io.plugmesh.config.ConfigError;
import java.util.List;

/**
 * One or more routes' plugin entries are invalid; nothing was built. Each {@link Problem} names the
 * route, the plugin, its position and the field, e.g. {@code route 'reviews-read', plugin
 * 'ratelimit' (#3): config.tokens: -1 (expected: > 0)}.
 */
public final class PluginConfigException extends Exception {
  private static final long serialVersionUID = 1L;

  /**
   * One problem.
   *
   * @param route the route name
   * @param plugin the plugin name as written; empty for a problem of the whole route
   * @param pluginIndex the entry's position in the route's plugin list, from 0 (messages count from
   *     1: {@code #1} is index 0); -1 for a problem of the whole route
   * @param field the field, e.g. {@code config.rules[0].allow}; empty when the problem is not about
   *     one field
   * @param problem what was wrong and what was expected
   */
  public record Problem(
      String route, String plugin, int pluginIndex, String field, String problem) {
    /**
     * Creates a problem.
     *
     * @param route the route
     * @param plugin the plugin, or empty
     * @param pluginIndex the index from 0, or -1
     * @param field the field, or empty
     * @param problem the problem
     */
    public Problem {
      requireNonNull(route, "route");
      requireNonNull(plugin, "plugin");
      requireNonNull(field, "field");
      requireNonNull(problem, "problem");
    }

    /**
     * The problem as one line.
     *
     * @return e.g. {@code route 'r', plugin 'p' (#2): config.tokens: -1 (expected: > 0)}
     */
    public String message() {
      StringBuilder sb = new StringBuilder("route '").append(route).append('\'');
      if (!plugin.isEmpty()) {
        sb.append(", plugin '").append(plugin).append('\'');
      }
      if (pluginIndex >= 0) {
        sb.append(" (#").append(pluginIndex + 1).append(')');
      }
      sb.append(": ");
      if (!field.isEmpty()) {
        sb.append(field).append(": ");
      }
      return sb.append(problem).toString();
    }

    /**
     * This problem in the config's own terms, its field a path from the document root.
     *
     * @param routeIndex the route's position in the config's route list, from 0
     * @return e.g. field {@code routes[2].plugins[0].config.tokens}
     */
    public ConfigError.Problem toConfigProblem(int routeIndex) {
      StringBuilder path = new StringBuilder("routes[").append(routeIndex).append(']');
      if (pluginIndex >= 0) {
        path.append(".plugins[").append(pluginIndex).append(']');
      }
      if (!field.isEmpty()) {
        path.append('.').append(field);
      }
      return new ConfigError.Problem(
          route, plugin.isEmpty() ? null : plugin, path.toString(), problem);
    }

    @Override
    public String toString() {
      return message();
    }
  }

  private final transient List<Problem> problems;

  /**
   * Creates the exception.
   *
   * @param problems at least one problem
   */
  public PluginConfigException(List<Problem> problems) {
    super(format(problems));
    this.problems = List.copyOf(problems);
  }

  private static String format(List<Problem> problems) {
    if (problems.isEmpty()) {
      throw new IllegalArgumentException("problems: empty (expected: at least one)");
    }
    if (problems.size() == 1) {
      return problems.get(0).message();
    }
    StringBuilder sb =
        new StringBuilder().append(problems.size()).append(" plugin config problems:");
    for (Problem p : problems) {
      sb.append("\n  ").append(p.message());
    }
    return sb.toString();
  }

  /**
   * Every problem, in route and plugin order.
   *
   * @return the problems, at least one
   */
  public List<Problem> problems() {
    return problems;
  }

  /**
   * The route of the first problem.
   *
   * @return the route name
   */
  public String route() {
    return problems.get(0).route();
  }

  /**
   * The plugin of the first problem.
   *
   * @return the plugin name, or empty
   */
  public String plugin() {
    return problems.get(0).plugin();
  }

  /**
   * The plugin index (from 0) of the first problem.
   *
   * @return the index, or -1
   */
  public int pluginIndex() {
    return problems.get(0).pluginIndex();
  }

  /**
   * The field of the first problem.
   *
   * @return the field, or empty
   */
  public String field() {
    return problems.get(0).field();
  }
}
