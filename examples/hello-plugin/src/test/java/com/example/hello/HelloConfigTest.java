package com.example.hello;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.plugmesh.filters.ConfigException;
import io.plugmesh.filters.testkit.FilterHarness;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HelloConfigTest {
  private final HelloFilterFactory factory = new HelloFilterFactory();

  @Test
  void defaultsApplyWhenOnlyTheGreetingIsGiven() {
    HelloConfig config =
        HelloConfig.parse(io.plugmesh.filters.ConfigNode.of(Map.of("greeting", "hi")));
    assertThat(config).isEqualTo(new HelloConfig("hi", "x-hello", null));
  }

  @Test
  void theSchemaRequiresAGreeting() {
    assertThatThrownBy(() -> FilterHarness.of(factory, Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("greeting");
  }

  @Test
  void theSchemaRejectsUnknownFieldsAndBadValuesNamingTheField() {
    assertThatThrownBy(() -> FilterHarness.of(factory, Map.of("greeting", "hi", "colour", "red")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("colour");
    assertThatThrownBy(() -> FilterHarness.of(factory, Map.of("greeting", "hi", "header", "X Bad")))
        .isInstanceOf(ConfigException.class)
        .satisfies(e -> assertThat(((ConfigException) e).field()).contains("header"));
    assertThatThrownBy(() -> FilterHarness.of(factory, Map.of("greeting", "")))
        .isInstanceOf(ConfigException.class)
        .satisfies(e -> assertThat(((ConfigException) e).field()).contains("greeting"));
  }

  @Test
  void answerPathMustBeAPath() {
    assertThatThrownBy(
            () -> FilterHarness.of(factory, Map.of("greeting", "hi", "answerPath", "hello")))
        .isInstanceOf(ConfigException.class)
        .satisfies(e -> assertThat(((ConfigException) e).field()).contains("answerPath"));
  }
}
