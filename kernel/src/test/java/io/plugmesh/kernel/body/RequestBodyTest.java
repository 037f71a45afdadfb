package io.plugmesh.kernel.body;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The request body's buffers, socket-free: what is kept, what each attempt gets, and that every
 * chunk is released exactly once (leak detection is paranoid for kernel tests).
 */
class RequestBodyTest {
  static final ByteBufAllocator ALLOC = UnpooledByteBufAllocator.DEFAULT;

  final List<String> events = new ArrayList<>();
  final List<ByteBuf> read = new ArrayList<>();
  final RequestBody body =
      new RequestBody(
          ALLOC,
          new RequestBody.Source() {
            @Override
            public void readBody() {
              events.add("read");
            }

            @Override
            public void cutShort() {
              events.add("cut");
            }
          });

  @AfterEach
  void everyChunkReleased() {
    body.release();
    assertThat(read).allSatisfy(b -> assertThat(b.refCnt()).isZero());
  }

  HttpContent chunk(String text) {
    ByteBuf b = ALLOC.buffer().writeBytes(text.getBytes(StandardCharsets.UTF_8));
    read.add(b);
    return new DefaultHttpContent(b);
  }

  HttpContent last(String text) {
    ByteBuf b = ALLOC.buffer().writeBytes(text.getBytes(StandardCharsets.UTF_8));
    read.add(b);
    return new DefaultLastHttpContent(b);
  }

  RequestBody.Prebuffered prebuffer(HttpContent c) {
    return body.prebuffer(c, body.received(c));
  }

  @Test
  void aKeptBodyGoesWholeToEveryAttemptAndFiltersGetACopy() {
    body.limits(16, 64);
    assertThat(prebuffer(chunk("hello "))).isEqualTo(RequestBody.Prebuffered.MORE);
    assertThat(prebuffer(last("world"))).isEqualTo(RequestBody.Prebuffered.READY);
    assertThat(body.replayable()).isTrue();
    assertThat(body.bufferedBytes())
        .hasValueSatisfying(b -> assertThat(new String(b)).isEqualTo("hello world"));

    Sink first = new Sink();
    Sink second = new Sink();
    body.send(first);
    body.send(second);

    assertThat(first.texts()).containsExactly("hello world!last");
    assertThat(second.texts()).containsExactly("hello world!last");
    assertThat(body.bytesReceived()).isEqualTo(11);
  }

  @Test
  void aBodyOverTheBufferedLimitIsTooLargeAndReleased() {
    body.limits(4, 0);
    assertThat(prebuffer(chunk("12345"))).isEqualTo(RequestBody.Prebuffered.TOO_LARGE);
    assertThat(read.get(0).refCnt()).isZero();
  }

  @Test
  void aBodyOverTheReplayLimitStreamsOnceAfterWhatWasRead() {
    body.limits(0, 4);
    assertThat(prebuffer(chunk("12345"))).isEqualTo(RequestBody.Prebuffered.READY);
    assertThat(body.replayable()).isFalse();

    Sink sink = new Sink();
    body.send(sink);
    assertThat(body.streaming()).isTrue();
    body.chunkWritten(sink, false);
    HttpContent end = last("678");
    body.stream(end, body.received(end));
    body.chunkWritten(sink, true);

    assertThat(sink.texts()).containsExactly("12345", "678!last");
    assertThat(events).containsExactly("read");
    assertThat(body.streaming()).isFalse();
  }

  @Test
  void aChunkForAnAttemptThatEndedIsReleasedAndTheBodyIsCutShort() {
    Sink sink = new Sink();
    body.send(sink);
    assertThat(events).containsExactly("read");
    sink.open = false;

    HttpContent c = chunk("late");
    body.stream(c, body.received(c));

    assertThat(sink.texts()).isEmpty();
    assertThat(events).containsExactly("read", "cut");
    assertThat(body.streaming()).isFalse();
  }

  @Test
  void drainingDropsChunksUntilTheEndOrTheLimit() {
    body.draining(true);
    HttpContent c = chunk("x".repeat(10));
    assertThat(body.drain(c, body.received(c))).isEqualTo(RequestBody.Drained.MORE);
    HttpContent big = chunk("y".repeat(RequestBody.MAX_DRAIN_BYTES));
    assertThat(body.drain(big, body.received(big))).isEqualTo(RequestBody.Drained.OVER_LIMIT);
    HttpContent end = last("z");
    assertThat(body.drain(end, body.received(end))).isEqualTo(RequestBody.Drained.DONE);
    assertThat(body.draining()).isFalse();
  }

  /** An attempt that records what it was sent and releases it, as a channel write would. */
  static final class Sink implements RequestBody.Sink {
    final List<String> written = new ArrayList<>();
    boolean open = true;

    @Override
    public boolean open() {
      return open;
    }

    @Override
    public void write(HttpContent chunk, boolean last) {
      String text = chunk.content().toString(StandardCharsets.UTF_8);
      written.add(last && chunk instanceof LastHttpContent ? text + "!last" : text);
      chunk.release();
    }

    List<String> texts() {
      return written;
    }
  }
}
