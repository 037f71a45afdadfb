package io.plugmesh.config;

/**
 * A cluster a route sends traffic to.
 *
 * @param cluster the cluster name
 * @param weight the share of requests, relative to the route's other backends, &gt;= 0
 */
public record BackendRef(String cluster, int weight) {}
