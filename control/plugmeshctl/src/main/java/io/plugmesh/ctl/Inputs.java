package io.plugmesh.ctl;

import io.plugmesh.control.server.store.Documents;
import io.plugmesh.control.server.store.Kind;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reads {@code -f FILE|DIR|-} into one document in the config file format. */
final class Inputs {
  private Inputs() {}

  static String read(String file, InputStream stdin) throws IOException {
    if (file.equals("-")) {
      return new String(stdin.readAllBytes(), StandardCharsets.UTF_8);
    }
    Path path = Path.of(file);
    if (!Files.isDirectory(path)) {
      return Files.readString(path, StandardCharsets.UTF_8);
    }
    List<Path> files = new ArrayList<>();
    try (DirectoryStream<Path> s = Files.newDirectoryStream(path, "*.{yaml,yml,json}")) {
      s.forEach(files::add);
    }
    files.sort(null);
    Map<String, Object> merged = new LinkedHashMap<>();
    for (Kind k : Kind.values()) {
      merged.put(k.plural(), new ArrayList<>());
    }
    for (Path f : files) {
      Map<String, Object> doc =
          Documents.parse(Files.readString(f, StandardCharsets.UTF_8), f.toString());
      for (Map.Entry<String, Object> e : doc.entrySet()) {
        Object list = merged.get(e.getKey());
        if (list instanceof List<?> && e.getValue() instanceof List<?> items) {
          @SuppressWarnings("unchecked")
          List<Object> target = (List<Object>) list;
          target.addAll(items);
        } else {
          merged.put(e.getKey(), e.getValue());
        }
      }
    }
    return Documents.json(merged);
  }
}
