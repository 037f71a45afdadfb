package io.plugmesh.pluginruntime.jar;

import static org.assertj.core.api.Assertions.assertThat;

import io.plugmesh.filters.Filter;
import io.plugmesh.filters.FilterFactory;
import io.plugmesh.pluginruntime.PluginJars;
import io.plugmesh.pluginruntime.fixture.BrokenFactory;
import io.plugmesh.pluginruntime.fixture.HelloFactory;
import io.plugmesh.pluginruntime.fixture.VersionedFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JarLoaderTest {
  private static final String API = "0.1.0";

  @TempDir Path plugins;

  private final List<String> admitted = new ArrayList<>();
  private final List<String> forgotten = new ArrayList<>();
  private int admitAtMost = Integer.MAX_VALUE;
  private final FactoryCheck check =
      new FactoryCheck() {
        @Override
        public String admit(FilterFactory<?> factory) {
          if (admitted.size() == admitAtMost) {
            throw new IllegalArgumentException("refused");
          }
          admitted.add(factory.name());
          return factory.name();
        }

        @Override
        public void forget(FilterFactory<?> factory) {
          forgotten.add(factory.name());
        }
      };

  private Path write(String file, String id, String requires, Class<?>... factories)
      throws Exception {
    return PluginJars.write(
        plugins.resolve(file),
        PluginJars.properties(id, "1.2.3", requires),
        List.of(factories),
        List.of(factories));
  }

  private JarLoad load(Path jar) {
    return new JarLoader(plugins, API, check).load(jar, jar);
  }

  private JarLoad.Failed failed(Path jar) {
    JarLoad load = load(jar);
    assertThat(load).isInstanceOf(JarLoad.Failed.class);
    return (JarLoad.Failed) load;
  }

  @Test
  void startsThePluginInItsOwnClassLoaderWithTheKernelsFilterApi() throws Exception {
    Path jar =
        PluginJars.write(
            plugins.resolve("hello.jar"),
            PluginJars.properties("hello", "1.2.3", ">=0.1.0"),
            List.of(HelloFactory.class),
            List.of(HelloFactory.class, FilterFactory.class, Filter.class));

    JarLoad load = load(jar);

    assertThat(load).isInstanceOf(JarLoad.Started.class);
    PluginJar started = ((JarLoad.Started) load).jar();
    assertThat(started.id()).isEqualTo("hello");
    assertThat(started.version()).isEqualTo("1.2.3");
    assertThat(started.requires()).isEqualTo(">=0.1.0");
    assertThat(started.filters()).containsExactly("hello");
    FilterFactory<?> factory = started.factories().get("hello");
    assertThat(factory.getClass().getClassLoader()).isInstanceOf(KernelPluginClassLoader.class);
    assertThat(factory).isInstanceOf(FilterFactory.class);
    assertThat(admitted).containsExactly("hello");
    started.unload();
  }

  @Test
  void aJarWithoutDescriptorIsNamedAfterItsFile() throws Exception {
    Path jar = PluginJars.write(plugins.resolve("nodescriptor.jar"), null, List.of(), List.of());
    assertThat(load(jar))
        .isEqualTo(
            new JarLoad.Failed(
                "nodescriptor",
                "",
                "",
                "no plugin descriptor (expected: plugin.properties or a MANIFEST Plugin-Id)",
                List.of()));
  }

  @Test
  void aCorruptJarIsNotReadable() throws Exception {
    Path jar = Files.write(plugins.resolve("corrupt.jar"), new byte[] {'P', 'K', 3, 4, 1, 2, 3});
    JarLoad.Failed failed = failed(jar);
    assertThat(failed.id()).isEqualTo("corrupt");
    assertThat(failed.reason()).startsWith("not a readable jar");
  }

  @Test
  void anIncompatibleRangeFailsWithTheRange() throws Exception {
    Path jar = write("hello.jar", "hello", ">=9.0.0", HelloFactory.class);
    assertThat(load(jar))
        .isEqualTo(
            new JarLoad.Failed(
                "hello",
                "1.2.3",
                ">=9.0.0",
                "requires plugin API '>=9.0.0' (expected: a range that includes this kernel's"
                    + " plugin API 0.1.0)",
                List.of()));
  }

  @Test
  void aFactoryThatCannotBeCreatedFailsTheJar() throws Exception {
    JarLoad.Failed failed = failed(write("broken.jar", "broken", "*", BrokenFactory.class));
    assertThat(failed.id()).isEqualTo("broken");
    assertThat(failed.reason())
        .contains("creating filter factory " + BrokenFactory.class.getName() + " failed")
        .contains("broken on purpose");
    assertThat(failed.declared()).isEmpty();
  }

  @Test
  void aRefusedFactoryFailsTheJarAndTheAdmittedOnesAreForgotten() throws Exception {
    admitAtMost = 1;
    JarLoad.Failed failed =
        failed(write("two.jar", "two", "*", HelloFactory.class, VersionedFactory.class));
    assertThat(failed.reason()).endsWith(": IllegalArgumentException: refused");
    assertThat(admitted).hasSize(1);
    assertThat(failed.declared()).isEqualTo(admitted);
    assertThat(forgotten).isEqualTo(admitted);
  }
}
