package io.plugmesh.filters.advanced;

import io.plugmesh.filters.FilterServices;

/**
 * How a plugin entry runs on a route: the {@code mode} an admin writes next to the plugin's name,
 * the same for every plugin. A filter reads its own with {@link FilterServices#mode()}.
 *
 * <pre>{@code
 * plugins:
 *   - {name: ratelimit, mode: shadow, config: {tokens: 100, per: 1s}}
 * }</pre>
 *
 * <p>The proxy applies the mode whatever the filter does: in {@link #SHADOW} it drops any answer
 * the filter makes itself and sends the request on. A filter reads its mode only to say what it
 * would have done in its own metrics (e.g. {@code shadow_limited} rather than {@code limited}) and
 * to leave out side effects it wants only when its answer counts (response flags, headers telling
 * the client about a limit). Never build a dry-run switch of your own into a plugin's config.
 */
public enum FilterMode {
  /** The filter's decisions take effect. The default. */
  ENFORCE,

  /**
   * The filter runs, but when it answers itself (a 401, a 429, an injected 503) the proxy counts
   * and logs "would have answered", drops the answer and sends the request on: a policy tried on
   * live traffic.
   */
  SHADOW,

  /**
   * The entry is skipped: no filter is created, so a filter never sees this mode. The proxy does
   * not validate an off entry's config; the test kit does.
   */
  OFF
}
