package io.plugmesh.filters.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.plugmesh.filters.FilterMetrics;
import io.plugmesh.filters.advanced.FilterMode;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class TestFilterServicesTest {

  @Test
  void siblingsShareTimeMetricsAndLogsButNotSharedObjects() {
    TestFilterServices rbac = TestFilterServices.create("reviews-read", "rbac");
    TestFilterServices jwt = rbac.forPlugin("authn-jwt");

    rbac.metrics().counter("denied", "rule", "admin").increment(2);
    jwt.metrics().counter("denied", "rule", "admin").increment();
    jwt.logger().log(Level.WARNING, "jwks {0} unreachable", "https://idp.test");
    rbac.advance(Duration.ofSeconds(3));

    assertThat(jwt.recordedMetrics().count("denied", "rule", "admin")).isEqualTo(3);
    assertThat(jwt.recordedMetrics().plugin("rbac").count("denied", "rule", "admin")).isEqualTo(2);
    assertThat(rbac.logs())
        .containsExactly(
            new LogEntry("authn-jwt", Level.WARNING, "jwks https://idp.test unreachable", null));
    assertThat(jwt.clock().instant()).isEqualTo(VirtualTime.DEFAULT_START.plusSeconds(3));
    assertThat(jwt.routeName()).isEqualTo("reviews-read");
    assertThat(jwt.pluginName()).isEqualTo("authn-jwt");

    String a = rbac.shared("k", String.class, () -> "rbac's");
    String b = jwt.shared("k", String.class, () -> "jwt's");
    assertThat(a).isEqualTo("rbac's");
    assertThat(b).isEqualTo("jwt's");
  }

  @Test
  void modeIsEnforceUnlessToldAndNeverOff() {
    assertThat(TestFilterServices.create().mode()).isEqualTo(FilterMode.ENFORCE);
    TestFilterServices shadow = TestFilterServices.builder().mode(FilterMode.SHADOW).build();
    assertThat(shadow.mode()).isEqualTo(FilterMode.SHADOW);
    assertThat(shadow.forPlugin("other").mode()).isEqualTo(FilterMode.ENFORCE);
    assertThat(shadow.forPlugin("other", FilterMode.SHADOW).mode()).isEqualTo(FilterMode.SHADOW);
    assertThatThrownBy(() -> TestFilterServices.builder().mode(FilterMode.OFF))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expected: ENFORCE or SHADOW");
  }

  @Test
  void sharedChecksTypeAndNull() {
    TestFilterServices services = TestFilterServices.create();
    services.shared("cache", String.class, () -> "text");

    assertThatThrownBy(() -> services.shared("cache", Integer.class, () -> 1))
        .isInstanceOf(ClassCastException.class)
        .hasMessageContaining("shared 'cache'")
        .hasMessageContaining("java.lang.Integer");
    assertThatThrownBy(() -> services.shared("other", String.class, () -> null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("factory returned null");
  }

  @Test
  void metricsCheckWhatTheProxyChecks() {
    FilterMetrics metrics = TestFilterServices.create().metrics();

    assertThatThrownBy(() -> metrics.counter("Bad-Name")).hasMessageContaining("snake_case");
    assertThatThrownBy(() -> metrics.counter("ok", "odd")).hasMessageContaining("key/value pairs");
    assertThatThrownBy(() -> metrics.counter("ok", "route", "x"))
        .hasMessageContaining("the proxy adds those");
    assertThatThrownBy(() -> metrics.counter("ok").increment(-1))
        .hasMessageContaining("expected: >= 0");
  }

  @Test
  void timersKeepTheirDurations() {
    TestFilterServices services = TestFilterServices.create();
    FilterMetrics.Timer timer = services.metrics().timer("fetch", "outcome", "ok");
    timer.recordNanos(5_000_000);
    timer.recordNanos(7_000_000);

    TestMetrics recorded = services.recordedMetrics();
    assertThat(recorded.timerCount("fetch", "outcome", "ok")).isEqualTo(2);
    assertThat(recorded.timings("fetch", "outcome", "ok"))
        .containsExactly(Duration.ofMillis(5), Duration.ofMillis(7));
    assertThat(recorded.timerCount("fetch")).isZero();
    assertThat(recorded.describe()).containsExactly("timer test-plugin/fetch{outcome=ok} count=2");
  }

  @Test
  void startTimeAndBlockingExecutorAreConfigurable() {
    StringBuilder ran = new StringBuilder();
    TestFilterServices services =
        TestFilterServices.builder()
            .startTime(Instant.parse("2029-02-03T04:05:06Z"))
            .blockingExecutor(task -> ran.append("custom;"))
            .build();

    services.blockingExecutor().execute(() -> {});

    assertThat(ran).hasToString("custom;");
    assertThat(services.clock().instant()).isEqualTo(Instant.parse("2029-02-03T04:05:06Z"));
  }

  @Test
  void defaultBlockingExecutorRunsInline() {
    StringBuilder ran = new StringBuilder();
    TestFilterServices.create().blockingExecutor().execute(() -> ran.append("done"));
    assertThat(ran).hasToString("done");
  }
}
