package io.plugmesh.config;

import io.plugmesh.filters.advanced.FilterMode;

/**
 * One plugin on a route.
 *
 * @param name the plugin's factory name, e.g. {@code authn-jwt}
 * @param mode enforce, shadow or off
 * @param config the plugin's config tree as plain values (maps, lists, strings, numbers, booleans);
 *     an empty map when absent
 */
public record PluginEntry(String name, FilterMode mode, Object config) {}
