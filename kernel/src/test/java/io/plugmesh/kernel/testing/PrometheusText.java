package io.plugmesh.kernel.testing;

import java.util.ArrayList;
import java.util.List;

/** Reads samples out of a Prometheus text exposition (e.g. {@code fixture.admin("/metrics")}). */
public final class PrometheusText {
  private PrometheusText() {}

  /**
   * The sum of the samples of one metric whose labels include all the given ones.
   *
   * @param text the exposition
   * @param name the sample name, e.g. {@code mesh_requests_total}
   * @param labels alternating label names and values that must match exactly
   * @return the sum, 0 when no sample matches
   */
  public static double sum(String text, String name, String... labels) {
    double sum = 0;
    for (String line : samples(text, name, labels)) {
      sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
    }
    return sum;
  }

  /**
   * The sample lines of one metric whose labels include all the given ones.
   *
   * @param text the exposition
   * @param name the sample name
   * @param labels alternating label names and values that must match exactly
   * @return the matching lines
   */
  public static List<String> samples(String text, String name, String... labels) {
    List<String> out = new ArrayList<>();
    for (String line : text.split("\n")) {
      if (!line.startsWith(name + "{") && !line.startsWith(name + " ")) {
        continue;
      }
      boolean all = true;
      for (int i = 0; i + 1 < labels.length; i += 2) {
        if (!line.contains(labels[i] + "=\"" + labels[i + 1] + "\"")) {
          all = false;
          break;
        }
      }
      if (all) {
        out.add(line);
      }
    }
    return out;
  }
}
