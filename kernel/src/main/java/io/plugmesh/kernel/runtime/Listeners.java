package io.plugmesh.kernel.runtime;

import io.netty.channel.EventLoopGroup;
import io.plugmesh.config.ListenerConfig;
import io.plugmesh.config.TlsMode;
import io.plugmesh.kernel.listener.ListenerServer;
import io.plugmesh.kernel.proxy.ListenerContext;
import io.plugmesh.kernel.proxy.ProxyRuntime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The kernel's listeners by name, across config versions. A new config's listeners are bound in two
 * steps around the kernel's atomic switch: {@link #open} binds those that are new or whose socket
 * (host, port, TLS) changed before the switch, so a port that cannot be bound rejects the config;
 * {@link #switchTo} then puts them in place and closes the ones replaced or gone. A listener whose
 * socket stays is kept with its connections.
 *
 * <p>Not thread-safe: the kernel calls it under its own lock.
 */
final class Listeners {
  private final Map<String, ListenerServer> servers = new LinkedHashMap<>();
  private final ProxyRuntime runtime;
  private final EventLoopGroup boss;
  private final EventLoopGroup workers;
  private final Transport transport;

  Listeners(
      ProxyRuntime runtime, EventLoopGroup boss, EventLoopGroup workers, Transport transport) {
    this.runtime = runtime;
    this.boss = boss;
    this.workers = workers;
    this.transport = transport;
  }

  /**
   * Binds the listeners of {@code configs} that are new or whose socket changed.
   *
   * @return the bound listeners by name, not serving any config yet
   * @throws IllegalStateException when one cannot be bound; those bound so far are closed again
   */
  Map<String, ListenerServer> open(List<ListenerConfig> configs) {
    Map<String, ListenerServer> opened = new HashMap<>();
    try {
      for (ListenerConfig lc : configs) {
        ListenerServer existing = servers.get(lc.name());
        if (existing != null && sameSocket(existing.config(), lc)) {
          continue;
        }
        opened.put(lc.name(), bind(lc));
      }
    } catch (Exception e) {
      opened.values().forEach(ListenerServer::close);
      throw new IllegalStateException("cannot bind listeners: " + e.getMessage(), e);
    }
    return opened;
  }

  /**
   * Puts the listeners bound by {@link #open} in place and closes those they replace and those
   * {@code configs} no longer names.
   */
  void switchTo(List<ListenerConfig> configs, Map<String, ListenerServer> opened) {
    List<ListenerServer> retired = new ArrayList<>();
    for (ListenerConfig lc : configs) {
      ListenerServer fresh = opened.get(lc.name());
      if (fresh != null) {
        ListenerServer old = servers.put(lc.name(), fresh);
        if (old != null) {
          retired.add(old);
        }
      }
    }
    servers
        .keySet()
        .removeIf(
            name -> {
              boolean gone = configs.stream().noneMatch(l -> l.name().equals(name));
              if (gone) {
                retired.add(servers.get(name));
              }
              return gone;
            });
    retired.forEach(ListenerServer::close);
  }

  /**
   * The port a listener is bound to.
   *
   * @throws IllegalArgumentException when no listener has that name
   */
  int port(String listener) {
    ListenerServer server = servers.get(listener);
    if (server == null) {
      throw new IllegalArgumentException("no listener named '" + listener + "'");
    }
    return server.port();
  }

  /** Closes every listener. */
  void close() {
    for (ListenerServer server : servers.values()) {
      server.close();
    }
    servers.clear();
  }

  private static boolean sameSocket(ListenerConfig a, ListenerConfig b) {
    return a.host().equals(b.host()) && a.port() == b.port() && Objects.equals(a.tls(), b.tls());
  }

  private ListenerServer bind(ListenerConfig lc) throws Exception {
    ListenerContext context =
        new ListenerContext(
            lc.name(),
            lc.tls() == null || lc.tls().mode() == TlsMode.OFF ? "http" : "https",
            runtime);
    return ListenerServer.start(lc, context, boss, workers, transport.serverChannel());
  }
}
