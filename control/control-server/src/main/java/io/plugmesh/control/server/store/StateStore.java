package io.plugmesh.control.server.store;

import java.util.List;
import java.util.function.Consumer;

/**
 * Where the desired state lives: a directory of YAML files (single node) or etcd (shared by control
 * replicas). Writes are checked by the caller before they reach a store.
 */
public interface StateStore extends AutoCloseable {
  /**
   * Reads every resource.
   *
   * @return the state now
   */
  DesiredState load();

  /**
   * Adds or replaces and deletes resources in one step.
   *
   * @param puts resources to store (their seq decides their order)
   * @param deletes keys to remove
   * @return the new revision
   * @throws StoreException when the store refuses or cannot be reached
   */
  long write(List<Resource> puts, List<Resource.Key> deletes);

  /**
   * Calls {@code listener} with the new state after every change, from any writer.
   *
   * @param listener the listener
   */
  void watch(Consumer<DesiredState> listener);

  /**
   * What the store is, for logs.
   *
   * @return e.g. {@code files in conf/mesh} or {@code etcd http://127.0.0.1:2379}
   */
  String describe();

  @Override
  void close();

  /** A store refused a write or cannot be reached. */
  final class StoreException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what went wrong
     * @param cause the cause, or null
     */
    public StoreException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
