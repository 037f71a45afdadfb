package io.plugmesh.kernel.cluster;

import static java.util.Objects.requireNonNull;

import io.netty.util.NetUtil;
import io.plugmesh.config.EndpointConfig;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One upstream instance: an immutable address and weight, plus a live count of requests in flight
 * (read by the least-request policy). Equality is identity: the same address in two cluster
 * versions is two endpoints, each with its own count.
 */
public final class Endpoint {
  private final String host;
  private final int port;
  private final int weight;
  private final InetSocketAddress resolved;
  private final String address;
  private final AtomicInteger activeRequests = new AtomicInteger();

  /**
   * Creates an endpoint. No name lookup happens here.
   *
   * @param host an IP address or host name (an IPv6 address without brackets)
   * @param port the port, 1..65535
   * @param weight the relative weight, &gt;= 1
   */
  public Endpoint(String host, int port, int weight) {
    this.host = requireNonNull(host, "host");
    if (host.isEmpty()) {
      throw new IllegalArgumentException("host: empty (expected: an IP address or host name)");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port: " + port + " (expected: 1..65535)");
    }
    if (weight < 1) {
      throw new IllegalArgumentException("weight: " + weight + " (expected: >= 1)");
    }
    this.port = port;
    this.weight = weight;
    InetAddress literal = NetUtil.createInetAddressFromIpAddressString(host);
    this.resolved =
        literal != null
            ? new InetSocketAddress(literal, port)
            : InetSocketAddress.createUnresolved(host, port);
    this.address = host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
  }

  /**
   * An endpoint from config.
   *
   * @param config the configured endpoint
   * @return a new endpoint with no requests in flight
   */
  public static Endpoint of(EndpointConfig config) {
    requireNonNull(config, "config");
    return new Endpoint(config.host(), config.port(), config.weight());
  }

  /**
   * The host as configured.
   *
   * @return an IP address or host name
   */
  public String host() {
    return host;
  }

  /**
   * The port.
   *
   * @return the port
   */
  public int port() {
    return port;
  }

  /**
   * The relative weight for weighted policies.
   *
   * @return the weight, &gt;= 1
   */
  public int weight() {
    return weight;
  }

  /**
   * The endpoint as {@code host:port}, with brackets around an IPv6 host.
   *
   * @return the address text
   */
  public String address() {
    return address;
  }

  /**
   * The socket address to connect to, created without a blocking lookup: resolved for an IP
   * literal, unresolved for a host name (the connector resolves it, e.g. with Netty's resolver).
   *
   * @return the address
   */
  public InetSocketAddress resolved() {
    return resolved;
  }

  /**
   * Requests in flight to this endpoint.
   *
   * @return the count, never negative
   */
  public int activeRequests() {
    return activeRequests.get();
  }

  /** Counts a request sent to this endpoint; pair with {@link #requestFinished()}. */
  public void requestStarted() {
    activeRequests.incrementAndGet();
  }

  /** Counts a request to this endpoint as done; the count never drops below zero. */
  public void requestFinished() {
    int current;
    do {
      current = activeRequests.get();
      if (current == 0) {
        return;
      }
    } while (!activeRequests.compareAndSet(current, current - 1));
  }

  @Override
  public String toString() {
    return address() + (weight == 1 ? "" : " weight " + weight);
  }
}
