package io.plugmesh.kernel.timer;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.DefaultEventLoop;
import io.netty.channel.EventLoop;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class LoopDeadlinesTest {
  private static final long SHORT = TimeUnit.MILLISECONDS.toNanos(20);
  private static final long LONGER = TimeUnit.MILLISECONDS.toNanos(40);
  private static final long WAIT_SECONDS = 10;

  private final EventLoop loop = new DefaultEventLoop();
  private final List<String> expired = new CopyOnWriteArrayList<>();

  @AfterEach
  void stop() {
    loop.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS).syncUninterruptibly();
  }

  /** A named entry that records when it expires and counts down a latch. */
  private final class Named extends LoopDeadlines.Entry {
    final String name;
    final CountDownLatch done;

    Named(String name, CountDownLatch done) {
      this.name = name;
      this.done = done;
    }

    @Override
    protected void deadlineExpired() {
      expired.add(name);
      done.countDown();
    }
  }

  private void onLoop(Runnable task) throws Exception {
    loop.submit(task).get(WAIT_SECONDS, TimeUnit.SECONDS);
  }

  @Test
  void expiresInStartOrderAndSkipsCancelled() throws Exception {
    CountDownLatch done = new CountDownLatch(3);
    Named a = new Named("a", done);
    Named b = new Named("b", done);
    Named c = new Named("c", done);
    Named d = new Named("d", done);
    onLoop(
        () -> {
          LoopDeadlines deadlines = LoopDeadlines.of(loop);
          deadlines.start(a, SHORT);
          deadlines.start(b, SHORT);
          deadlines.start(c, SHORT);
          deadlines.start(d, LONGER);
          LoopDeadlines.cancel(b);
        });
    assertThat(done.await(WAIT_SECONDS, TimeUnit.SECONDS)).isTrue();
    // A stopped loop runs nothing more: after it, the list is final.
    loop.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS).syncUninterruptibly();
    assertThat(expired).containsExactly("a", "c", "d");
  }

  @Test
  void cancellingTheOldestStillExpiresTheNext() throws Exception {
    CountDownLatch done = new CountDownLatch(1);
    Named a = new Named("a", done);
    Named b = new Named("b", done);
    onLoop(
        () -> {
          LoopDeadlines deadlines = LoopDeadlines.of(loop);
          deadlines.start(a, SHORT);
          deadlines.start(b, SHORT);
          LoopDeadlines.cancel(a);
        });
    assertThat(done.await(WAIT_SECONDS, TimeUnit.SECONDS)).isTrue();
    assertThat(expired).containsExactly("b");
  }

  @Test
  void anEntryCanBeStartedAgainAfterItExpiredAndCancelAfterExpiryDoesNothing() throws Exception {
    CountDownLatch first = new CountDownLatch(1);
    Named a = new Named("a", first);
    onLoop(() -> LoopDeadlines.of(loop).start(a, SHORT));
    assertThat(first.await(WAIT_SECONDS, TimeUnit.SECONDS)).isTrue();
    onLoop(() -> LoopDeadlines.cancel(a));

    CountDownLatch second = new CountDownLatch(1);
    Named b = new Named("b", second);
    onLoop(
        () -> {
          LoopDeadlines deadlines = LoopDeadlines.of(loop);
          deadlines.start(b, SHORT);
        });
    assertThat(second.await(WAIT_SECONDS, TimeUnit.SECONDS)).isTrue();
    assertThat(expired).containsExactly("a", "b");
  }

  @Test
  void aCancelledEntryNeverExpires() throws Exception {
    CountDownLatch never = new CountDownLatch(1);
    CountDownLatch later = new CountDownLatch(1);
    Named a = new Named("a", never);
    Named b = new Named("b", later);
    onLoop(
        () -> {
          LoopDeadlines deadlines = LoopDeadlines.of(loop);
          deadlines.start(a, SHORT);
          LoopDeadlines.cancel(a);
          deadlines.start(b, LONGER);
        });
    // b expires after a's deadline, and the loop runs tasks in deadline order.
    assertThat(later.await(WAIT_SECONDS, TimeUnit.SECONDS)).isTrue();
    assertThat(never.getCount()).isEqualTo(1);
    assertThat(expired).containsExactly("b");
  }
}
