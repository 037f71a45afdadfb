package io.plugmesh.ctl;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/** A plain text table with aligned columns. */
final class Table {
  private final List<String[]> rows = new ArrayList<>();

  Table(String... header) {
    rows.add(header);
  }

  void row(String... cells) {
    rows.add(cells);
  }

  void print(PrintWriter out) {
    int columns = rows.get(0).length;
    int[] widths = new int[columns];
    for (String[] r : rows) {
      for (int i = 0; i < columns; i++) {
        widths[i] = Math.max(widths[i], r[i] == null ? 1 : r[i].length());
      }
    }
    for (String[] r : rows) {
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < columns; i++) {
        String cell = r[i] == null || r[i].isEmpty() ? "-" : r[i];
        sb.append(cell);
        if (i < columns - 1) {
          sb.append(" ".repeat(widths[i] - cell.length() + 2));
        }
      }
      out.println(sb.toString().stripTrailing());
    }
  }
}
