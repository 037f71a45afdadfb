package io.plugmesh.config.route;

import static java.util.Objects.requireNonNull;

import io.plugmesh.config.RouteConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The routes one listener serves, compiled for matching, on paths normalized by {@link
 * io.plugmesh.filters.internal.PathNormalizer}. The first route whose criteria all hold wins, in
 * table order. Immutable and thread-safe; a new config compiles a new table.
 *
 * <pre>{@code
 * String path = PathNormalizer.normalize(rawPath);                 // 400 on RejectedPathException
 * Optional<CompiledRoute> route = table.match("GET", path, authority, headers::get); // none: 404
 * BackendRef backend = route.get().pickBackend();
 * }</pre>
 */
public final class RouteTable {
  private final CompiledRoute[] routes;

  private RouteTable(CompiledRoute[] routes) {
    this.routes = routes;
  }

  /**
   * Compiles every route, in list order.
   *
   * @param routes validated routes (see {@code ConfigValidator})
   * @return the table
   * @throws IllegalArgumentException if a route cannot be compiled (a bad regex, no weight)
   */
  public static RouteTable compile(List<RouteConfig> routes) {
    return compile(routes, List.of());
  }

  /**
   * Compiles the routes a listener names, in the listener's order; all routes in list order when
   * {@code onlyNames} is empty.
   *
   * @param routes validated routes
   * @param onlyNames the listener's route names, or empty for all
   * @return the table
   * @throws IllegalArgumentException if a name is not among the routes or a route cannot be
   *     compiled
   */
  public static RouteTable compile(List<RouteConfig> routes, List<String> onlyNames) {
    requireNonNull(routes, "routes");
    requireNonNull(onlyNames, "onlyNames");
    List<RouteConfig> selected;
    if (onlyNames.isEmpty()) {
      selected = routes;
    } else {
      Map<String, RouteConfig> byName = new LinkedHashMap<>();
      for (RouteConfig route : routes) {
        byName.putIfAbsent(route.name(), route);
      }
      selected = new ArrayList<>(onlyNames.size());
      for (String name : onlyNames) {
        RouteConfig route = byName.get(name);
        if (route == null) {
          throw new IllegalArgumentException(
              "route '" + name + "' (expected: one of " + byName.keySet() + ")");
        }
        selected.add(route);
      }
    }
    CompiledRoute[] compiled = new CompiledRoute[selected.size()];
    for (int i = 0; i < compiled.length; i++) {
      compiled[i] = new CompiledRoute(selected.get(i), i);
    }
    return new RouteTable(compiled);
  }

  /**
   * Finds the first route that matches a request.
   *
   * @param method the request method, e.g. {@code GET}
   * @param normalizedPath the path from {@link
   *     io.plugmesh.filters.internal.PathNormalizer#normalize} (what filters see as {@link
   *     io.plugmesh.filters.ProxyRequest#normalizedPath()})
   * @param authority the {@code :authority} or {@code Host}, with or without port; may be null
   * @param headerLookup a request header's value by lower-case name, null when absent
   * @return the route, or empty (answer 404)
   */
  public Optional<CompiledRoute> match(
      String method,
      String normalizedPath,
      String authority,
      Function<String, String> headerLookup) {
    for (CompiledRoute route : routes) {
      if (route.matches(method, normalizedPath, authority, headerLookup)) {
        return Optional.of(route);
      }
    }
    return Optional.empty();
  }

  /**
   * The compiled routes in match order.
   *
   * @return the routes
   */
  public List<CompiledRoute> routes() {
    return List.of(routes);
  }

  /**
   * How many routes the table holds.
   *
   * @return the count
   */
  public int size() {
    return routes.length;
  }
}
