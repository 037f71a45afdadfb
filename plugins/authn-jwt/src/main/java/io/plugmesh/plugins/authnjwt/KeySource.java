package io.plugmesh.plugins.authnjwt;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** Where a provider's verification keys come from: inline config, or a fetched JWK set. */
interface KeySource {

  /**
   * The keys at hand now, without waiting.
   *
   * @return the last good keys, or null before any were obtained
   */
  KeySet current();

  /**
   * Keys for a request that found none at hand: completes when a fetch in flight (or one started
   * now, if the rate limit allows) ends.
   *
   * @return the keys then at hand, or null if there still are none
   */
  CompletionStage<KeySet> awaitKeys();

  /**
   * Keys for a token that names a key id the current set lacks: joins a fetch in flight or starts
   * one if the rate limit allows; otherwise completes at once with the current keys.
   *
   * @return the keys then at hand, possibly unchanged
   */
  CompletionStage<KeySet> refetchForUnknownKey();

  /** Keys given in config; never refreshed. */
  record Static(KeySet keys) implements KeySource {
    @Override
    public KeySet current() {
      return keys;
    }

    @Override
    public CompletionStage<KeySet> awaitKeys() {
      return CompletableFuture.completedFuture(keys);
    }

    @Override
    public CompletionStage<KeySet> refetchForUnknownKey() {
      return CompletableFuture.completedFuture(keys);
    }
  }
}
