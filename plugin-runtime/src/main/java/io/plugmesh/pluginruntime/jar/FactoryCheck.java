package io.plugmesh.pluginruntime.jar;

import io.plugmesh.filters.FilterFactory;

/**
 * How the host admits the filter factories a jar declares: {@link JarLoader} hands each factory to
 * it as the factory is created, and hands back those it admitted when the jar fails after all.
 */
public interface FactoryCheck {

  /**
   * Checks a factory (name, phase, schema) and keeps what it needs to serve it.
   *
   * @param factory the factory
   * @return its filter name
   * @throws RuntimeException naming what is wrong with the factory
   */
  String admit(FilterFactory<?> factory);

  /**
   * Drops what {@link #admit} kept for a factory that will not be used.
   *
   * @param factory an admitted factory
   */
  void forget(FilterFactory<?> factory);
}
