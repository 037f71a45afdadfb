package io.plugmesh.pluginruntime;

import io.plugmesh.filters.FilterFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.pf4j.DefaultVersionManager;

/**
 * Decides which loaded jars are published: one version per plugin id (the highest; on a tie the one
 * already published) and one plugin per filter name (built-ins first, then jars already published,
 * then changed jars in path order). The losers become failed entries that say what won.
 */
final class JarConflicts {
  private JarConflicts() {}

  /**
   * Resolves the conflicts among the jars of a reload.
   *
   * @param next every jar of the plugins directory by path; losers are replaced by failed entries
   * @param changed the jars this reload read anew
   * @param builtinNames the filter names the kernel provides itself
   */
  static void resolve(Map<Path, JarState> next, List<JarState> changed, Set<String> builtinNames) {
    Set<Path> changedPaths = new HashSet<>();
    changed.forEach(j -> changedPaths.add(j.source()));
    List<JarState> order = new ArrayList<>();
    next.values().stream().filter(j -> !changedPaths.contains(j.source())).forEach(order::add);
    next.values().stream().filter(j -> changedPaths.contains(j.source())).forEach(order::add);
    onePerId(next, order);
    onePerFilterName(next, order, builtinNames);
  }

  private static void onePerId(Map<Path, JarState> next, List<JarState> order) {
    Map<String, JarState> byId = new HashMap<>();
    for (JarState jar : order) {
      if (jar.version() == null) {
        continue;
      }
      String id = jar.version().jar().id();
      JarState other = byId.get(id);
      if (other == null) {
        byId.put(id, jar);
        continue;
      }
      String version = jar.version().jar().version();
      String otherVersion = other.version().jar().version();
      JarState winner = compareVersions(version, otherVersion) > 0 ? jar : other;
      JarState loser = winner == jar ? other : jar;
      byId.put(id, winner);
      next.put(
          loser.source(),
          loser.lostConflict(
              "plugin '"
                  + id
                  + "' "
                  + loser.version().jar().version()
                  + " is superseded by version "
                  + winner.version().jar().version()
                  + " from "
                  + winner.source()
                  + " (expected: one jar per plugin id; remove the older one)"));
    }
  }

  private static void onePerFilterName(
      Map<Path, JarState> next, List<JarState> order, Set<String> builtinNames) {
    Map<String, String> taken = new HashMap<>();
    builtinNames.forEach(name -> taken.put(name, "the kernel (built-in)"));
    for (JarState jar : order) {
      JarState current = next.get(jar.source());
      if (current.version() == null) {
        continue;
      }
      Map<String, FilterFactory<?>> factories = current.version().jar().factories();
      String clash = null;
      for (Map.Entry<String, FilterFactory<?>> e : factories.entrySet()) {
        String owner = taken.get(e.getKey());
        if (owner != null) {
          clash =
              "filter name '"
                  + e.getKey()
                  + "' of "
                  + e.getValue().getClass().getName()
                  + " is already provided by "
                  + owner
                  + " (expected: unique filter names)";
          break;
        }
      }
      if (clash != null) {
        next.put(jar.source(), current.lostConflict(clash));
        continue;
      }
      for (String name : factories.keySet()) {
        taken.put(name, "plugin '" + current.version().jar().id() + "'");
      }
    }
  }

  private static int compareVersions(String a, String b) {
    try {
      return new DefaultVersionManager().compareVersions(a, b);
    } catch (RuntimeException e) {
      return a.compareTo(b);
    }
  }
}
