package io.plugmesh.filters;

import static java.util.Objects.requireNonNull;

/** What a {@link HeadersFilter} decided about a request: continue, or respond now. */
public sealed interface RequestDecision permits RequestDecision.Continue, RequestDecision.Respond {

  /**
   * Continue with the rest of the chain.
   *
   * @return the shared continue decision
   */
  static RequestDecision proceed() {
    return Continue.INSTANCE;
  }

  /**
   * Answer the request now with the given response; the rest of the chain does not run (unless the
   * plugin runs in {@code shadow} mode, where the answer is only counted and logged).
   *
   * @param response the response to send
   * @return a respond decision
   */
  static RequestDecision respond(ProxyResponse response) {
    return new Respond(response);
  }

  /** Continue with the rest of the chain. */
  final class Continue implements RequestDecision {
    private static final Continue INSTANCE = new Continue();

    private Continue() {}

    @Override
    public String toString() {
      return "Continue";
    }
  }

  /**
   * Answer now.
   *
   * @param response the response to send
   */
  record Respond(ProxyResponse response) implements RequestDecision {
    /**
     * Creates a respond decision.
     *
     * @param response the response to send, not null
     */
    public Respond {
      requireNonNull(response, "response");
    }
  }
}
