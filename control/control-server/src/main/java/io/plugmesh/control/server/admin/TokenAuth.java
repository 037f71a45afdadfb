package io.plugmesh.control.server.admin;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/** Requires {@code authorization: Bearer <token>} on every call (gRPC metadata or HTTP header). */
public final class TokenAuth implements ServerInterceptor {
  /** The metadata key. */
  public static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private final byte[] expected;

  /**
   * Creates the check.
   *
   * @param token the token; must not be empty
   */
  public TokenAuth(String token) {
    if (token == null || token.isBlank()) {
      throw new IllegalArgumentException("token: empty (expected: a secret string)");
    }
    this.expected = ("Bearer " + token).getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Whether a header value carries the token (compared in constant time).
   *
   * @param header the {@code authorization} value, or null
   * @return true if it matches
   */
  public boolean accepts(String header) {
    return header != null
        && MessageDigest.isEqual(expected, header.trim().getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    if (!accepts(headers.get(AUTHORIZATION))) {
      call.close(
          Status.UNAUTHENTICATED.withDescription(
              "missing or wrong token (expected: authorization: Bearer <token>)"),
          new Metadata());
      return new ServerCall.Listener<>() {};
    }
    return next.startCall(call, headers);
  }
}
