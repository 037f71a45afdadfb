package io.plugmesh.kernel.tls;

import io.plugmesh.config.ClusterConfig;
import io.plugmesh.config.UpstreamProtocol;
import io.plugmesh.config.UpstreamTlsConfig;
import java.io.IOException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The client TLS contexts of the clusters, keyed by their TLS config and protocol so they outlive
 * config versions that do not change them. The runtime loads them with {@link #retain} before a
 * config takes effect (a file that does not load rejects the config); the data path only looks them
 * up and never reads a file on an event loop. A context no longer in the config is dropped one
 * config version later, so requests still running on the previous version keep finding theirs.
 */
public final class UpstreamTlsContexts implements AutoCloseable {
  /** What one context is built from. */
  record Key(UpstreamTlsConfig tls, UpstreamProtocol protocol) {}

  private final Map<Key, CertificateSource> sources = new ConcurrentHashMap<>();
  private Set<Key> previous = Set.of();

  /**
   * Loads the contexts of every TLS cluster of a config, and drops those unused for two versions.
   *
   * @param clusters the clusters of the config about to take effect
   * @throws IllegalStateException naming the cluster when its files do not load; nothing changes
   */
  public synchronized void retain(List<ClusterConfig> clusters) {
    Map<Key, CertificateSource> fresh = new HashMap<>();
    Set<Key> wanted = new HashSet<>();
    try {
      for (ClusterConfig c : clusters) {
        if (c.tls() == null) {
          continue;
        }
        Key key = new Key(c.tls(), c.protocol());
        wanted.add(key);
        if (!sources.containsKey(key) && !fresh.containsKey(key)) {
          fresh.put(key, TlsContexts.client(c.name(), c.tls(), c.protocol()));
        }
      }
    } catch (IOException e) {
      fresh.values().forEach(CertificateSource::close);
      throw new IllegalStateException("cannot load cluster TLS files: " + e.getMessage(), e);
    }
    sources.putAll(fresh);
    Set<Key> keep = new HashSet<>(wanted);
    keep.addAll(previous);
    sources
        .entrySet()
        .removeIf(
            e -> {
              if (keep.contains(e.getKey())) {
                return false;
              }
              e.getValue().close();
              return true;
            });
    previous = wanted;
  }

  /**
   * The loaded context of a cluster's TLS.
   *
   * @param tls the cluster's TLS config
   * @param protocol the cluster's protocol
   * @return the source, or null when {@link #retain} has not loaded it
   */
  public CertificateSource get(UpstreamTlsConfig tls, UpstreamProtocol protocol) {
    return sources.get(new Key(tls, protocol));
  }

  @Override
  public synchronized void close() {
    sources.values().forEach(CertificateSource::close);
    sources.clear();
  }
}
