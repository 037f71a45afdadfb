package io.plugmesh.control.server.registry;

import static java.util.Objects.requireNonNull;

/**
 * A registered service instance.
 *
 * @param service the service name (the cluster of the same name gets it as an endpoint)
 * @param id unique within the service
 * @param address {@code host:port}
 * @param weight the endpoint weight, &gt;= 1
 */
public record Instance(String service, String id, String address, int weight) {
  /** Checks the parts. */
  public Instance {
    requireNonNull(service, "service");
    requireNonNull(id, "id");
    requireNonNull(address, "address");
  }
}
