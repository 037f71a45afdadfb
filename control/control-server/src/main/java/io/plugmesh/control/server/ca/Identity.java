package io.plugmesh.control.server.ca;

import static java.util.Objects.requireNonNull;

import io.plugmesh.meshca.SpiffeId;

/**
 * Who a proxy is, as its join token says: the namespace and the service (SPIFFE service account) it
 * stands beside. A proxy gets config selected for this service and certificates for this identity
 * only.
 *
 * @param namespace the namespace, e.g. {@code default}
 * @param service the service, e.g. {@code reviews}
 */
public record Identity(String namespace, String service) {
  /** Checks the identity. */
  public Identity {
    requireNonNull(namespace, "namespace");
    requireNonNull(service, "service");
    if (namespace.isBlank() || service.isBlank()) {
      throw new IllegalArgumentException(
          "identity: '" + namespace + "/" + service + "' (expected: namespace/service)");
    }
  }

  /**
   * The SPIFFE id of this identity in a trust domain.
   *
   * @param trustDomain the trust domain
   * @return {@code spiffe://<trust-domain>/ns/<namespace>/sa/<service>}
   */
  public SpiffeId spiffeId(String trustDomain) {
    return SpiffeId.of(trustDomain, namespace, service);
  }

  @Override
  public String toString() {
    return namespace + "/" + service;
  }
}
