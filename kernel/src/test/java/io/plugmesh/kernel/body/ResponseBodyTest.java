package io.plugmesh.kernel.body;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** An attempt's response chunks, socket-free: held in order, sent or released, never both. */
class ResponseBodyTest {
  final List<HttpContent> sent = new ArrayList<>();
  boolean answering = true;
  final ResponseBody body =
      new ResponseBody(
          (chunk, last) -> {
            if (!answering) {
              return false;
            }
            sent.add(chunk);
            return true;
          });

  static ByteBuf bytes(String text) {
    return UnpooledByteBufAllocator.DEFAULT
        .buffer()
        .writeBytes(text.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void aFullResponseLeavesItsBodyHeldAndTheHeadGoesAlone() {
    FullHttpResponse full =
        new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, bytes("hi"));
    HttpResponse head = body.head(full);

    assertThat(head).isNotInstanceOf(FullHttpResponse.class);
    assertThat(head.status().code()).isEqualTo(200);
    HttpContent held = body.next();
    assertThat(held.content().toString(StandardCharsets.UTF_8)).isEqualTo("hi");
    held.release();
  }

  @Test
  void aChunkTheDownstreamDoesNotTakeIsReleased() {
    ByteBuf b = bytes("late");
    answering = false;
    body.send(new DefaultHttpContent(b), false);
    assertThat(b.refCnt()).isZero();
    assertThat(sent).isEmpty();
  }

  @Test
  void releasingDropsEveryHeldChunkAndTheBrokenMark() {
    ByteBuf first = bytes("a");
    ByteBuf second = bytes("b");
    body.hold(new DefaultHttpContent(first));
    body.hold(new DefaultHttpContent(second));
    body.markBroken();

    body.release();

    assertThat(first.refCnt()).isZero();
    assertThat(second.refCnt()).isZero();
    assertThat(body.isEmpty()).isTrue();
    assertThat(body.broken()).isFalse();
  }

  @Test
  void onlyAnEmptyEndWithoutTrailersIsAHeadOnlyResponse() {
    body.hold(new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER));
    assertThat(body.takeHeadOnly()).isTrue();
    assertThat(body.isEmpty()).isTrue();

    ByteBuf b = bytes("x");
    body.hold(new DefaultLastHttpContent(b));
    assertThat(body.takeHeadOnly()).isFalse();
    body.release();
    assertThat(b.refCnt()).isZero();
  }
}
