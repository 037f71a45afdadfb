package com.example.hello;

import static org.assertj.core.api.Assertions.assertThat;

import io.plugmesh.filters.advanced.Principal;
import io.plugmesh.filters.testkit.FilterHarness;
import io.plugmesh.filters.testkit.TestRequest;
import io.plugmesh.filters.testkit.TestResponse;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HelloFilterTest {
  private final HelloFilterFactory factory = new HelloFilterFactory();

  @Test
  void greetsTheUpstreamAndTheCaller() {
    FilterHarness harness = FilterHarness.of(factory, Map.of("greeting", "hello"));
    TestResponse response = harness.send(TestRequest.get("/reviews"));

    assertThat(response.fromUpstream()).isTrue();
    assertThat(response.status()).isEqualTo(200);
    assertThat(response.header("x-hello")).isEqualTo("hello");
    assertThat(harness.upstream().attempts()).isEqualTo(1);
    assertThat(harness.upstream().requests().get(0).header("x-hello")).isEqualTo("hello");
  }

  @Test
  void namesTheCallerAnAuthenticationPluginFound() {
    FilterHarness harness =
        FilterHarness.of(factory, Map.of("greeting", "hello", "header", "x-greeting"));
    TestResponse response =
        harness.send(
            TestRequest.get("/").principal(new Principal("alice", "https://idp.test", Map.of())));
    assertThat(response.header("x-greeting")).isEqualTo("hello, alice");
    assertThat(response.header("x-hello")).isNull();
  }

  @Test
  void answersItsPathItselfAndCountsIt() {
    FilterHarness harness =
        FilterHarness.of(factory, Map.of("greeting", "hello", "answerPath", "/hello"));
    TestResponse answered = harness.send(TestRequest.get("/hello"));

    assertThat(answered.fromUpstream()).isFalse();
    assertThat(answered.answeredBy()).contains("hello");
    assertThat(answered.bodyText()).isEqualTo("hello\n");
    assertThat(harness.upstream().attempts()).isZero();
    assertThat(harness.metrics().plugin("hello").count("answered")).isEqualTo(1);

    assertThat(harness.send(TestRequest.get("/hello/more")).fromUpstream()).isTrue();
    assertThat(harness.metrics().plugin("hello").count("answered")).isEqualTo(1);
  }
}
