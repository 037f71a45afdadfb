package io.plugmesh.kernel.proxy;

import static java.util.Objects.requireNonNull;

/**
 * What an exchange knows about the listener it arrived on.
 *
 * @param name the listener name
 * @param scheme {@code http} or {@code https}
 * @param runtime the running proxy
 */
public record ListenerContext(String name, String scheme, ProxyRuntime runtime) {
  public ListenerContext {
    requireNonNull(name, "name");
    requireNonNull(scheme, "scheme");
    requireNonNull(runtime, "runtime");
  }
}
