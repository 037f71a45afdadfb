package io.plugmesh.control.server.registry;

import io.plugmesh.config.ConfigValidator;
import java.util.List;
import java.util.Map;

/**
 * Service instances registered with a TTL and kept by heartbeats; in memory for a single node, or
 * etcd leases shared by control replicas.
 */
public interface ServiceRegistry extends AutoCloseable {
  /** The shortest TTL accepted: 2 s (etcd's minimum lease is about 1.5 s). */
  long MIN_TTL_SECONDS = 2;

  /** The longest TTL accepted: 1 hour. */
  long MAX_TTL_SECONDS = 3600;

  /** The most instances kept: 100,000. */
  int MAX_INSTANCES = 100_000;

  /**
   * Registers (or re-registers) an instance.
   *
   * @param instance the instance
   * @param ttlSeconds seconds without a heartbeat before it is removed
   * @return the lease id to heartbeat with
   */
  String register(Instance instance, long ttlSeconds);

  /**
   * Extends a registration.
   *
   * @param leaseId the id from {@link #register}
   * @return the TTL in seconds
   * @throws UnknownLeaseException when the lease expired or never existed
   */
  long heartbeat(String leaseId);

  /**
   * Removes a registration now.
   *
   * @param leaseId the id from {@link #register}
   */
  void deregister(String leaseId);

  /**
   * Every live instance by service.
   *
   * @return service name to instances (sorted by id)
   */
  Map<String, List<Instance>> instances();

  /**
   * Calls {@code listener} after every change (register, expire, deregister).
   *
   * @param listener the listener
   */
  void watch(Runnable listener);

  @Override
  void close();

  /**
   * Checks a registration request.
   *
   * @param instance the instance
   * @param ttlSeconds the TTL
   * @throws IllegalArgumentException saying what was wrong and what was expected
   */
  static void check(Instance instance, long ttlSeconds) {
    if (!ConfigValidator.NAME.matcher(instance.service()).matches()) {
      throw new IllegalArgumentException(
          "service: '" + instance.service() + "' (expected: a cluster name)");
    }
    if (!ConfigValidator.NAME.matcher(instance.id()).matches()) {
      throw new IllegalArgumentException(
          "instance_id: '"
              + instance.id()
              + "' (expected: 1 to 128 letters, digits, '.', '_', '-')");
    }
    String address = instance.address();
    int colon = address.lastIndexOf(':');
    int port = -1;
    if (colon > 0 && colon < address.length() - 1) {
      try {
        port = Integer.parseInt(address.substring(colon + 1));
      } catch (NumberFormatException e) {
        port = -1;
      }
    }
    if (port < 1 || port > ConfigValidator.MAX_PORT) {
      throw new IllegalArgumentException(
          "address: '" + instance.address() + "' (expected: a port in 1..65535)");
    }
    if (instance.weight() < 1) {
      throw new IllegalArgumentException("weight: " + instance.weight() + " (expected: >= 1)");
    }
    if (ttlSeconds < MIN_TTL_SECONDS || ttlSeconds > MAX_TTL_SECONDS) {
      throw new IllegalArgumentException(
          "ttl_seconds: "
              + ttlSeconds
              + " (expected: "
              + MIN_TTL_SECONDS
              + ".."
              + MAX_TTL_SECONDS
              + ")");
    }
  }

  /** A heartbeat for a lease that is gone. */
  final class UnknownLeaseException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param leaseId the lease
     */
    public UnknownLeaseException(String leaseId) {
      super("lease '" + leaseId + "' is unknown or expired (expected: register again)");
    }
  }
}
