package io.plugmesh.plugins.authnjwt;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.Flow;

/**
 * Fetches JWK sets with the JDK's asynchronous HTTP client: no redirects, a timeout, a bounded
 * body, callbacks on the given executor (never an event loop).
 */
final class HttpJwksFetcher implements JwksFetcher {

  /** The largest JWKS document accepted. */
  static final int MAX_JWKS_BYTES = 512 * 1024;

  /** Connect timeout of the shared client. */
  static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

  private final HttpClient client;

  HttpJwksFetcher(Executor executor) {
    this.client =
        HttpClient.newBuilder()
            .executor(executor)
            .connectTimeout(CONNECT_TIMEOUT)
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
  }

  @Override
  public CompletionStage<String> fetch(URI uri, Duration timeout) {
    HttpRequest request =
        HttpRequest.newBuilder(uri)
            .timeout(timeout)
            .header("accept", "application/jwk-set+json, application/json")
            .GET()
            .build();
    return client
        .sendAsync(request, info -> new LimitedBody(info.statusCode(), MAX_JWKS_BYTES))
        .thenApply(
            response -> {
              if (response.statusCode() / 100 != 2) {
                throw new IllegalStateException(
                    "JWKS " + uri + " answered " + response.statusCode() + " (expected: 2xx)");
              }
              return response.body();
            });
  }

  /** Collects a body up to a limit; fails beyond it. */
  private static final class LimitedBody implements HttpResponse.BodySubscriber<String> {
    private final int limit;
    private final CompletableFuture<String> result = new CompletableFuture<>();
    private final java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    private Flow.Subscription subscription;

    LimitedBody(int status, int limit) {
      this.limit = status / 100 == 2 ? limit : 0;
    }

    @Override
    public CompletionStage<String> getBody() {
      return result;
    }

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
      this.subscription = subscription;
      subscription.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(List<ByteBuffer> items) {
      for (ByteBuffer item : items) {
        if (bytes.size() + item.remaining() > limit) {
          subscription.cancel();
          if (limit == 0) {
            result.complete(""); // an error status: the body does not matter
          } else {
            result.completeExceptionally(
                new IOException("JWKS body exceeds " + limit + " bytes (expected: smaller)"));
          }
          return;
        }
        byte[] chunk = new byte[item.remaining()];
        item.get(chunk);
        bytes.write(chunk, 0, chunk.length);
      }
    }

    @Override
    public void onError(Throwable throwable) {
      result.completeExceptionally(throwable);
    }

    @Override
    public void onComplete() {
      result.complete(bytes.toString(StandardCharsets.UTF_8));
    }
  }
}
