package io.plugmesh.filters.testkit;

import io.plugmesh.filters.ProxyRequest;
import io.plugmesh.filters.ProxyResponse;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What happened during one send: decisions, upstream attempts, and which plugin made a response.
 */
final class RunTrace {
  private final List<TestResponse.PluginDecision> decisions = new ArrayList<>();
  private final List<UpstreamRequest> attempts = new ArrayList<>();
  private final List<UpstreamResponse> upstreamResponses = new ArrayList<>();
  private final Map<ProxyResponse, String> origins = new IdentityHashMap<>();

  /** The trace of the send a request belongs to, or null when the request is not the harness's. */
  static RunTrace of(ProxyRequest request) {
    return request != null && request.context() instanceof TestRequestContext context
        ? context.trace()
        : null;
  }

  synchronized void decided(TestResponse.PluginDecision decision) {
    decisions.add(decision);
  }

  synchronized void attempted(UpstreamRequest attempt) {
    attempts.add(attempt);
  }

  synchronized int attemptCount() {
    return attempts.size();
  }

  synchronized void upstreamResponded(UpstreamResponse response) {
    upstreamResponses.add(response);
  }

  /**
   * A plugin's filter returned {@code response}. The first plugin to return a response object made
   * it: inner filters complete before outer ones see the response.
   */
  synchronized void returned(String plugin, ProxyResponse response) {
    if (response != null && !(response instanceof UpstreamResponse)) {
      origins.putIfAbsent(response, plugin);
    }
  }

  synchronized Optional<String> origin(ProxyResponse response) {
    return Optional.ofNullable(origins.get(response));
  }

  synchronized List<TestResponse.PluginDecision> decisions() {
    return List.copyOf(decisions);
  }

  synchronized List<UpstreamRequest> attempts() {
    return List.copyOf(attempts);
  }

  synchronized List<UpstreamResponse> upstreamResponses() {
    return List.copyOf(upstreamResponses);
  }
}
