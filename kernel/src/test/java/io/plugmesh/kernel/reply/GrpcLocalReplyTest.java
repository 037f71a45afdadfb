package io.plugmesh.kernel.reply;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.plugmesh.filters.Headers;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Local answers to gRPC calls, socket-free (GrpcIT sends one through a real kernel). */
class GrpcLocalReplyTest {
  @Test
  void onlyGrpcContentTypesAreGrpc() {
    HttpRequest grpc = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/s/M");
    grpc.headers().set("content-type", "application/grpc+proto");
    HttpRequest json = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/s/M");
    json.headers().set("content-type", "application/json");

    assertThat(GrpcLocalReply.isGrpc(grpc)).isTrue();
    assertThat(GrpcLocalReply.isGrpc(json)).isFalse();
    assertThat(GrpcLocalReply.isGrpc(null)).isFalse();
  }

  @Test
  void aLocalAnswerIsATrailersOnlyStatusWithItsTextEncoded() {
    FullHttpResponse reply =
        GrpcLocalReply.of(
            429,
            "slow down: 100% used\n".getBytes(StandardCharsets.UTF_8),
            Headers.create().set("retry-after", "1").set("content-type", "text/plain"));

    assertThat(reply.status().code()).isEqualTo(200);
    assertThat(reply.content().isReadable()).isFalse();
    assertThat(reply.headers().get("content-type")).isEqualTo("application/grpc");
    assertThat(reply.headers().get("grpc-status")).isEqualTo("14");
    assertThat(reply.headers().get("grpc-message")).isEqualTo("slow down: 100%25 used");
    assertThat(reply.headers().get("retry-after")).isEqualTo("1");
    reply.release();
  }

  @Test
  void statusesMapAsTheGrpcHttpMapping() {
    assertThat(GrpcLocalReply.grpcStatus(401)).isEqualTo(16);
    assertThat(GrpcLocalReply.grpcStatus(403)).isEqualTo(7);
    assertThat(GrpcLocalReply.grpcStatus(404)).isEqualTo(12);
    assertThat(GrpcLocalReply.grpcStatus(504)).isEqualTo(4);
    assertThat(GrpcLocalReply.grpcStatus(418)).isEqualTo(2);
  }
}
