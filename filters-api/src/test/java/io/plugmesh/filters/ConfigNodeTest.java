package io.plugmesh.filters;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConfigNodeTest {

  enum Lb {
    ROUND_ROBIN,
    LEAST_REQUEST,
    RANDOM
  }

  enum Protocol {
    GRPC("grpc"),
    HTTP_PROTOBUF("http/protobuf");

    final String text;

    Protocol(String text) {
      this.text = text;
    }
  }

  private static ConfigNode node(String field, Object value) {
    Map<String, Object> root = new LinkedHashMap<>();
    root.put(field, value);
    return ConfigNode.of(root).get(field);
  }

  private static void rejects(Runnable parse, String field, String problem) {
    assertThatThrownBy(parse::run)
        .isInstanceOfSatisfying(
            ConfigException.class,
            e -> {
              assertThat(e.field()).isEqualTo(field);
              assertThat(e.problem()).isEqualTo(problem);
              assertThat(e.getMessage()).isEqualTo(field + ": " + problem);
            });
  }

  @Test
  void enumsAreWrittenInLowerCaseWithDashes() {
    assertThat(node("lb", "round-robin").asEnum(Lb.class)).isEqualTo(Lb.ROUND_ROBIN);
    assertThat(node("lb", "random").asEnum(Lb.class)).isEqualTo(Lb.RANDOM);
    rejects(
        () -> node("lb", "round_robin").asEnum(Lb.class),
        "lb",
        "\"round_robin\" (expected: round-robin | least-request | random)");
    rejects(
        () -> node("lb", 3).asEnum(Lb.class),
        "lb",
        "3 (expected: round-robin | least-request | random)");
  }

  @Test
  void enumsMayHaveTheirOwnSpelling() {
    assertThat(node("p", "http/protobuf").asEnum(Protocol.class, p -> p.text))
        .isEqualTo(Protocol.HTTP_PROTOBUF);
    rejects(
        () -> node("p", "HTTP").asEnum(Protocol.class, p -> p.text),
        "p",
        "\"HTTP\" (expected: grpc | http/protobuf)");
  }

  @Test
  void optionalEnumTakesItsFallback() {
    ConfigNode config = ConfigNode.of(Map.of("lb", "least-request"));
    assertThat(config.enumValue("lb", Lb.RANDOM)).isEqualTo(Lb.LEAST_REQUEST);
    assertThat(config.enumValue("other", Lb.RANDOM)).isEqualTo(Lb.RANDOM);
  }

  @Test
  void boundedNumbersSayTheirRange() {
    ConfigNode config = ConfigNode.of(Map.of("n", 0, "p", 101, "r", 0.5));
    assertThat(config.integer("missing", 7, 1, 10)).isEqualTo(7);
    rejects(() -> config.integer("n", 7, 1, 10), "n", "0 (expected: 1..10)");
    assertThat(config.get("n").asLong(0, 0)).isZero();
    rejects(() -> config.get("n").asLong(1, 5), "n", "0 (expected: 1..5)");
    rejects(() -> config.number("p", 100, 0, 100), "p", "101 (expected: 0..100)");
    assertThat(config.number("r", 1, 0, 1)).isEqualTo(0.5);
    rejects(() -> config.number("r", 1, 0.75, 1.5), "r", "0.5 (expected: 0.75..1.5)");
    assertThat(config.number("missing", 20, 0, 100)).isEqualTo(20);
  }

  @Test
  void boundedDurationsSayTheirRangeInConfigSpelling() {
    Duration hour = Duration.ofHours(1);
    assertThat(node("d", "1s").asDuration(Duration.ofSeconds(1), hour))
        .isEqualTo(Duration.ofSeconds(1));
    assertThat(node("d", "0ms").asDuration(Duration.ZERO, hour)).isZero();
    rejects(
        () -> node("d", "100ms").asDuration(Duration.ofSeconds(1), hour),
        "d",
        "\"100ms\" (expected: 1s..1h)");
    rejects(
        () -> node("d", "2h").asDuration(Duration.ZERO, Duration.ofMinutes(10)),
        "d",
        "\"2h\" (expected: at most 10m)");
    rejects(
        () -> node("d", "500ms").asDurationAtLeast(Duration.ofSeconds(1)),
        "d",
        "\"500ms\" (expected: at least 1s)");
    rejects(() -> node("d", "0s").asPositiveDuration(), "d", "\"0s\" (expected: more than 0)");
    assertThat(node("d", "1ns").asPositiveDuration()).isEqualTo(Duration.ofNanos(1));
    rejects(
        () -> node("d", "0.5d").asPositiveDuration(hour),
        "d",
        "\"0.5d\" (expected: more than 0, at most 1h)");
    rejects(
        () -> node("d", "1500us").asDuration(Duration.ofMillis(1), Duration.ofMillis(1)),
        "d",
        "\"1500us\" (expected: 1ms..1ms)");
    rejects(
        () -> node("d", "soon").asPositiveDuration(),
        "d",
        "\"soon\" (expected: a duration such as 250ms, 2s, 5m, 1h)");
  }

  @Test
  void listsAndMapsKeepPathsInErrors() {
    ConfigNode config =
        ConfigNode.of(
            Map.of(
                "codes", List.of(503, 429, "x"),
                "headers", Map.of("x-tenant", 1),
                "one", "ip",
                "many", List.of("route", "ip")));
    rejects(
        () -> config.get("codes").asList(ConfigNode::asLong),
        "codes[2]",
        "\"x\" (expected: an integer)");
    assertThat(config.list("absent", ConfigNode::asString)).isEmpty();
    assertThat(config.list("many", ConfigNode::asString)).containsExactly("route", "ip");
    rejects(
        () -> config.get("headers").asMap(ConfigNode::asString),
        "headers.x-tenant",
        "1 (expected: a string)");
    assertThat(config.get("headers").asMap(ConfigNode::asText))
        .containsExactly(Map.entry("x-tenant", "1"));
    assertThat(config.get("one").asListOrSingle(ConfigNode::path)).containsExactly("one");
    assertThat(config.get("many").asListOrSingle(ConfigNode::path))
        .containsExactly("many[0]", "many[1]");
  }

  @Test
  void textAcceptsScalarsOnly() {
    assertThat(node("v", "a").asText()).isEqualTo("a");
    assertThat(node("v", 3).asText()).isEqualTo("3");
    assertThat(node("v", true).asText()).isEqualTo("true");
    rejects(
        () -> node("v", List.of()).asText(), "v", "a list (expected: a string, number or boolean)");
  }

  @Test
  void mapsKeepWrittenOrder() {
    Map<String, Object> headers = new LinkedHashMap<>();
    headers.put("b", "2");
    headers.put("a", "1");
    assertThat(node("h", headers).asMap(ConfigNode::asString).keySet()).containsExactly("b", "a");
  }
}
