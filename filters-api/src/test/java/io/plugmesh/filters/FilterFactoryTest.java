package io.plugmesh.filters;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class FilterFactoryTest {

  /** A factory relying on the conventional schema resource. */
  static class NamedFactory implements FilterFactory<String> {
    private final String name;

    NamedFactory(String name) {
      this.name = name;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public Phase phase() {
      return Phase.CUSTOM;
    }

    @Override
    public String parseConfig(ConfigNode config) {
      return "";
    }

    @Override
    public Filter create(String config, FilterServices services) {
      return (request, chain) -> chain.proceed(request);
    }
  }

  @Test
  void schemaIsReadFromBesideTheFactory() {
    assertThat(new NamedFactory("greeter").configSchema()).contains("\"greeting\"").startsWith("{");
  }

  @Test
  void missingSchemaNamesTheExpectedResource() {
    assertThatThrownBy(() -> new NamedFactory("absent").configSchema())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(
            "filter 'absent': no config schema io/plugmesh/filters/absent.schema.json (expected:"
                + " that resource beside io.plugmesh.filters.FilterFactoryTest$NamedFactory in the"
                + " plugin jar, or configSchema() overridden)");
  }

  @Test
  void aFactoryMayStillWriteItsSchema() {
    FilterFactory<String> inline =
        new NamedFactory("absent") {
          @Override
          public String configSchema() {
            return "{}";
          }
        };
    assertThat(inline.configSchema()).isEqualTo("{}");
  }
}
