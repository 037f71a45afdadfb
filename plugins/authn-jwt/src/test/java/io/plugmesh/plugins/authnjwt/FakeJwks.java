package io.plugmesh.plugins.authnjwt;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A scripted JWKS endpoint: serves the current document, fails while down, or holds fetches open
 * until the test completes them. Counts fetches.
 */
final class FakeJwks implements JwksFetcher {
  private volatile String document;
  private volatile boolean down;
  private volatile boolean hold;
  private final List<CompletableFuture<String>> held = new ArrayList<>();
  private int fetches;

  FakeJwks(String document) {
    this.document = document;
  }

  @Override
  public synchronized CompletionStage<String> fetch(URI uri, Duration timeout) {
    fetches++;
    if (hold) {
      CompletableFuture<String> pending = new CompletableFuture<>();
      held.add(pending);
      return pending;
    }
    if (down) {
      return CompletableFuture.failedFuture(new java.io.IOException("connection refused"));
    }
    return CompletableFuture.completedFuture(document);
  }

  void serve(String newDocument) {
    this.document = newDocument;
    this.down = false;
  }

  void down() {
    this.down = true;
  }

  synchronized void hold() {
    this.hold = true;
  }

  /** Completes the held fetches with the current document and stops holding. */
  void release() {
    List<CompletableFuture<String>> pending;
    synchronized (this) {
      hold = false;
      pending = new ArrayList<>(held);
      held.clear();
    }
    pending.forEach(f -> f.complete(document));
  }

  synchronized int fetches() {
    return fetches;
  }

  synchronized int held() {
    return held.size();
  }
}
