package com.example.hello;

import io.plugmesh.filters.ContextKeys;
import io.plugmesh.filters.FilterMetrics;
import io.plugmesh.filters.HeadersFilter;
import io.plugmesh.filters.advanced.Principal;
import io.plugmesh.filters.ProxyRequest;
import io.plugmesh.filters.ProxyResponse;
import io.plugmesh.filters.RequestDecision;

/**
 * Adds the greeting (with the caller's name when an authentication plugin ran before) to the
 * request sent upstream and to the response; answers {@code answerPath} itself. Headers only, so
 * bodies stream through untouched.
 */
final class HelloFilter implements HeadersFilter {
  private final HelloConfig config;
  private final FilterMetrics.Counter answered;

  HelloFilter(HelloConfig config, FilterMetrics.Counter answered) {
    this.config = config;
    this.answered = answered;
  }

  @Override
  public RequestDecision onRequest(ProxyRequest request) {
    String greeting = greeting(request);
    if (config.answerPath() != null && request.path().equals(config.answerPath())) {
      answered.increment();
      return RequestDecision.respond(ProxyResponse.of(200, greeting + "\n"));
    }
    request.headers().set(config.header(), greeting);
    return RequestDecision.proceed();
  }

  @Override
  public void onResponse(ProxyRequest request, ProxyResponse response) {
    response.headers().set(config.header(), greeting(request));
  }

  @Override
  public boolean hasResponseHook() {
    return true;
  }

  private String greeting(ProxyRequest request) {
    Principal principal = request.context().get(ContextKeys.PRINCIPAL).orElse(null);
    return principal == null ? config.greeting() : config.greeting() + ", " + principal.subject();
  }
}
