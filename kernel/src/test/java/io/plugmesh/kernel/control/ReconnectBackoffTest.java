package io.plugmesh.kernel.control;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReconnectBackoffTest {
  /** Places a delay in the middle of its jitter range: no jitter. */
  static final double MIDDLE = 0.5;

  static List<Long> delaysMillis(ReconnectBackoff backoff, int count, boolean configured) {
    List<Long> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      out.add(backoff.next(configured, MIDDLE).toMillis());
    }
    return out;
  }

  @Test
  void doublesFromTheInitialDelayUpToTheCap() {
    ReconnectBackoff backoff =
        new ReconnectBackoff(
            ControlSettings.DEFAULT_INITIAL_BACKOFF, ControlSettings.DEFAULT_MAX_BACKOFF);
    assertThat(delaysMillis(backoff, 10, true))
        .containsExactly(100L, 200L, 400L, 800L, 1600L, 3200L, 6400L, 10_000L, 10_000L, 10_000L);
    assertThat(backoff.failures()).isEqualTo(10);
  }

  @Test
  void jitterIsAQuarterEitherWay() {
    ReconnectBackoff backoff = new ReconnectBackoff(Duration.ofSeconds(2), Duration.ofSeconds(2));
    assertThat(backoff.next(true, 0)).isEqualTo(Duration.ofMillis(1500));
    assertThat(backoff.next(true, 0.999_999).toMillis()).isBetween(2499L, 2500L);
    for (int i = 0; i < 100; i++) {
      assertThat(backoff.next(true, i / 100.0))
          .isBetween(Duration.ofMillis(1500), Duration.ofMillis(2500));
    }
  }

  @Test
  void withoutConfigTheDelayStaysShort() {
    ReconnectBackoff backoff =
        new ReconnectBackoff(
            ControlSettings.DEFAULT_INITIAL_BACKOFF, ControlSettings.DEFAULT_MAX_BACKOFF);
    assertThat(delaysMillis(backoff, 8, false))
        .containsExactly(100L, 200L, 400L, 500L, 500L, 500L, 500L, 500L);
    long unconfiguredMax =
        Math.round(
            ControlClient.UNCONFIGURED_MAX_BACKOFF.toMillis() * (1 + ControlClient.BACKOFF_JITTER));
    assertThat(backoff.next(false, 0.999_999).toMillis())
        .isBetween(unconfiguredMax - 1, unconfiguredMax);
    // once config arrives the configured cap holds again
    assertThat(backoff.next(true, MIDDLE)).isEqualTo(ControlSettings.DEFAULT_MAX_BACKOFF);
  }

  @Test
  void aCapBelowTheUnconfiguredOneHoldsWithoutConfigToo() {
    ReconnectBackoff backoff = new ReconnectBackoff(Duration.ofMillis(50), Duration.ofMillis(300));
    assertThat(delaysMillis(backoff, 6, false)).containsExactly(50L, 100L, 200L, 300L, 300L, 300L);
  }

  @Test
  void anInitialDelayAboveTheUnconfiguredCapIsCutToIt() {
    ReconnectBackoff backoff = new ReconnectBackoff(Duration.ofSeconds(5), Duration.ofSeconds(30));
    assertThat(backoff.next(false, MIDDLE)).isEqualTo(ControlClient.UNCONFIGURED_MAX_BACKOFF);
    assertThat(backoff.next(true, MIDDLE)).isEqualTo(Duration.ofSeconds(10));
  }

  @Test
  void aStreamThatDeliveredConfigStartsTheCountAgain() {
    ReconnectBackoff backoff = new ReconnectBackoff(Duration.ofMillis(100), Duration.ofSeconds(10));
    delaysMillis(backoff, 5, true);
    backoff.reset();
    assertThat(backoff.failures()).isZero();
    assertThat(backoff.next(true, MIDDLE)).isEqualTo(Duration.ofMillis(100));
  }
}
