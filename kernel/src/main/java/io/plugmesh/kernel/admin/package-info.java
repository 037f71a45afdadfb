/**
 * The admin HTTP endpoints ({@code /live}, {@code /ready}, {@code /metrics}, {@code /config},
 * {@code /plugins}): {@link io.plugmesh.kernel.admin.AdminServer} serves what the runtime exposes
 * through {@link io.plugmesh.kernel.admin.AdminState}.
 */
package io.plugmesh.kernel.admin;
