package io.plugmesh.filters.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class VirtualTimeTest {

  @Test
  void clockAndNanoTimeMoveOnlyOnAdvance() {
    VirtualTime time = VirtualTime.startingAt(Instant.parse("2031-05-01T10:00:00Z"));
    long nanos = time.nanoTime();

    time.advance(Duration.ofMillis(1500));

    assertThat(time.clock().instant()).isEqualTo(Instant.parse("2031-05-01T10:00:01.500Z"));
    assertThat(time.nanoTime() - nanos).isEqualTo(1_500_000_000L);
    assertThat(time.elapsed()).isEqualTo(Duration.ofMillis(1500));
    assertThatThrownBy(() -> time.advance(Duration.ofSeconds(-1)))
        .hasMessageContaining("expected: >= 0");
  }

  @Test
  void tasksRunInDueOrderAtTheirDueTime() {
    VirtualTime time = VirtualTime.create();
    ScheduledExecutorService scheduler = time.scheduler();
    List<String> ran = new ArrayList<>();
    scheduler.schedule(() -> ran.add("b@" + time.elapsed()), 2, TimeUnit.SECONDS);
    scheduler.schedule(() -> ran.add("a@" + time.elapsed()), 1, TimeUnit.SECONDS);
    scheduler.schedule(() -> ran.add("a2@" + time.elapsed()), 1, TimeUnit.SECONDS);
    scheduler.schedule(
        () -> {
          ran.add("c@" + time.elapsed());
          scheduler.schedule(() -> ran.add("d@" + time.elapsed()), 500, TimeUnit.MILLISECONDS);
        },
        1500,
        TimeUnit.MILLISECONDS);

    time.advance(Duration.ofMillis(1999));
    assertThat(ran).containsExactly("a@PT1S", "a2@PT1S", "c@PT1.5S");

    time.advance(Duration.ofMillis(1));
    assertThat(ran).containsExactly("a@PT1S", "a2@PT1S", "c@PT1.5S", "b@PT2S", "d@PT2S");
    assertThat(time.pendingTasks()).isZero();
  }

  @Test
  void cancelledTasksDoNotRun() {
    VirtualTime time = VirtualTime.create();
    List<String> ran = new ArrayList<>();
    ScheduledFuture<?> task = time.scheduler().schedule(() -> ran.add("x"), 1, TimeUnit.SECONDS);
    assertThat(task.getDelay(TimeUnit.MILLISECONDS)).isEqualTo(1000);

    assertThat(task.cancel(false)).isTrue();
    time.advance(Duration.ofSeconds(2));

    assertThat(ran).isEmpty();
    assertThat(task.isCancelled()).isTrue();
    assertThat(time.pendingTasks()).isZero();
  }

  @Test
  void periodicTasksRepeatUntilCancelled() {
    VirtualTime time = VirtualTime.create();
    List<Duration> rate = new ArrayList<>();
    List<Duration> delay = new ArrayList<>();
    ScheduledFuture<?> fixedRate =
        time.scheduler()
            .scheduleAtFixedRate(() -> rate.add(time.elapsed()), 1, 2, TimeUnit.SECONDS);
    time.scheduler()
        .scheduleWithFixedDelay(() -> delay.add(time.elapsed()), 0, 3, TimeUnit.SECONDS);

    time.advance(Duration.ofSeconds(6));
    fixedRate.cancel(false);
    time.advance(Duration.ofSeconds(4));

    assertThat(rate).containsExactly(secs(1), secs(3), secs(5));
    assertThat(delay).containsExactly(secs(0), secs(3), secs(6), secs(9));
  }

  @Test
  void executeRunsOnTheNextRunOfDueTasksAndReportsFailures() throws Exception {
    VirtualTime time = VirtualTime.create();
    List<String> ran = new ArrayList<>();
    time.scheduler().execute(() -> ran.add("now"));
    var submitted = time.scheduler().submit(() -> "value");
    assertThat(ran).isEmpty();

    assertThat(time.runDueTasks()).isEqualTo(2);
    assertThat(ran).containsExactly("now");
    assertThat(submitted.get()).isEqualTo("value");

    time.scheduler()
        .execute(
            () -> {
              throw new IllegalStateException("task bug");
            });
    assertThatThrownBy(time::runDueTasks)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("task bug");
  }

  @Test
  void runawayTasksAreStopped() {
    VirtualTime time = VirtualTime.create();
    Runnable[] again = new Runnable[1];
    again[0] = () -> time.scheduler().execute(again[0]);
    time.scheduler().execute(again[0]);

    assertThatThrownBy(time::runDueTasks)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("reschedule itself");
  }

  @Test
  void lifecycleMethodsSayWhyTheyAreNotSupported() {
    ScheduledExecutorService scheduler = VirtualTime.create().scheduler();
    assertThatThrownBy(scheduler::shutdown)
        .isInstanceOf(UnsupportedOperationException.class)
        .hasMessageContaining("belongs to the test harness");
    assertThatThrownBy(() -> scheduler.invokeAll(List.of()))
        .isInstanceOf(UnsupportedOperationException.class);
    assertThat(scheduler.isShutdown()).isFalse();
  }

  private static Duration secs(long s) {
    return Duration.ofSeconds(s);
  }
}
