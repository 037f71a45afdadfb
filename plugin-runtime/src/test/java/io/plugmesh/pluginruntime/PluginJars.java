package io.plugmesh.pluginruntime;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;

/** Writes PF4J plugin jars in tests from classes compiled with the tests. */
public final class PluginJars {
  private PluginJars() {}

  /**
   * Writes a plugin jar.
   *
   * @param file the jar to write
   * @param properties the plugin.properties text, or null for none
   * @param extensions the extension class names for META-INF/extensions.idx
   * @param classes the classes whose class files go into the jar
   */
  public static Path write(
      Path file, String properties, List<Class<?>> extensions, List<Class<?>> classes)
      throws IOException {
    return write(file, properties, extensions, classes, Map.of());
  }

  /**
   * Writes a plugin jar with extra resources.
   *
   * @param resources resource name to content
   */
  public static Path write(
      Path file,
      String properties,
      List<Class<?>> extensions,
      List<Class<?>> classes,
      Map<String, String> resources)
      throws IOException {
    try (OutputStream out = Files.newOutputStream(file);
        JarOutputStream jar = new JarOutputStream(out)) {
      if (properties != null) {
        put(jar, "plugin.properties", properties.getBytes(StandardCharsets.UTF_8));
      }
      StringBuilder index = new StringBuilder();
      for (Class<?> extension : extensions) {
        index.append(extension.getName()).append('\n');
      }
      put(jar, "META-INF/extensions.idx", index.toString().getBytes(StandardCharsets.UTF_8));
      for (Map.Entry<String, String> resource : resources.entrySet()) {
        put(jar, resource.getKey(), resource.getValue().getBytes(StandardCharsets.UTF_8));
      }
      for (Class<?> type : classes) {
        String resource = type.getName().replace('.', '/') + ".class";
        try (InputStream in = type.getClassLoader().getResourceAsStream(resource)) {
          if (in == null) {
            throw new IOException("class file not found: " + resource);
          }
          put(jar, resource, in.readAllBytes());
        }
      }
    }
    return file;
  }

  public static String properties(String id, String version, String requires) {
    return "plugin.id="
        + id
        + "\nplugin.version="
        + version
        + "\nplugin.requires="
        + requires
        + "\nplugin.provider=plugmesh tests\n";
  }

  private static void put(JarOutputStream jar, String name, byte[] bytes) throws IOException {
    jar.putNextEntry(new JarEntry(name));
    jar.write(bytes);
    jar.closeEntry();
  }
}
