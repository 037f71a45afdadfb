package io.plugmesh.plugins.authnjwt;

import java.net.URI;
import java.time.Duration;
import java.util.concurrent.CompletionStage;

/** Fetches a JWK set document without blocking the caller. */
@FunctionalInterface
interface JwksFetcher {

  /**
   * Starts one fetch.
   *
   * @param uri the JWKS URI
   * @param timeout how long the fetch may take
   * @return the document text; fails on a transport error, a non-2xx status or an oversized body
   */
  CompletionStage<String> fetch(URI uri, Duration timeout);
}
