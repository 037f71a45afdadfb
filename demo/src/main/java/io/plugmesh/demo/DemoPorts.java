package io.plugmesh.demo;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The loopback ports of the demo.
 *
 * @param controlGrpc the control service's gRPC port (proxies, plugmeshctl)
 * @param controlHttp the control service's JSON admin port
 * @param outbound the frontend sidecar's outbound listener (where the "app" sends its calls)
 * @param outboundAdmin the frontend sidecar's admin port
 * @param inbound the reviews sidecar's inbound listener (in front of the sample services)
 * @param inboundAdmin the reviews sidecar's admin port
 */
public record DemoPorts(
    int controlGrpc,
    int controlHttp,
    int outbound,
    int outboundAdmin,
    int inbound,
    int inboundAdmin) {

  /** The fixed defaults: 15010, 15011, 15001, 15000, 15006, 15020. */
  public static final DemoPorts DEFAULTS = new DemoPorts(15010, 15011, 15001, 15000, 15006, 15020);

  /** The host every part of the demo binds. */
  public static final String HOST = "127.0.0.1";

  /** Checks the ports. */
  public DemoPorts {
    for (int port :
        List.of(controlGrpc, controlHttp, outbound, outboundAdmin, inbound, inboundAdmin)) {
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException("port: " + port + " (expected: 1-65535)");
      }
    }
  }

  /**
   * The defaults shifted by {@code offset}.
   *
   * @param offset added to every default port
   * @return the ports
   */
  public static DemoPorts defaultsShiftedBy(int offset) {
    DemoPorts d = DEFAULTS;
    return new DemoPorts(
        d.controlGrpc + offset,
        d.controlHttp + offset,
        d.outbound + offset,
        d.outboundAdmin + offset,
        d.inbound + offset,
        d.inboundAdmin + offset);
  }

  /**
   * Six ports that were free a moment ago (for tests).
   *
   * @return the ports
   * @throws IOException when no port can be bound
   */
  public static DemoPorts ephemeral() throws IOException {
    List<ServerSocket> sockets = new ArrayList<>();
    try {
      for (int i = 0; i < 6; i++) {
        sockets.add(new ServerSocket(0, 1, InetAddress.getByName(HOST)));
      }
      return new DemoPorts(
          sockets.get(0).getLocalPort(),
          sockets.get(1).getLocalPort(),
          sockets.get(2).getLocalPort(),
          sockets.get(3).getLocalPort(),
          sockets.get(4).getLocalPort(),
          sockets.get(5).getLocalPort());
    } finally {
      for (ServerSocket socket : sockets) {
        socket.close();
      }
    }
  }

  /** Each port with what uses it. */
  Map<String, Integer> named() {
    Map<String, Integer> named = new LinkedHashMap<>();
    named.put("control service gRPC", controlGrpc);
    named.put("control service HTTP", controlHttp);
    named.put("frontend sidecar outbound listener", outbound);
    named.put("frontend sidecar admin", outboundAdmin);
    named.put("reviews sidecar inbound listener", inbound);
    named.put("reviews sidecar admin", inboundAdmin);
    return named;
  }

  /**
   * Fails when a port is taken.
   *
   * @throws IllegalStateException naming every port in use and what it is for
   */
  void requireFree() {
    List<String> taken = new ArrayList<>();
    for (Map.Entry<String, Integer> e : named().entrySet()) {
      try (ServerSocket socket = new ServerSocket()) {
        socket.setReuseAddress(true);
        socket.bind(new InetSocketAddress(HOST, e.getValue()), 1);
      } catch (IOException ex) {
        taken.add(HOST + ":" + e.getValue() + " (" + e.getKey() + ")");
      }
    }
    if (!taken.isEmpty()) {
      throw new IllegalStateException(
          "ports in use: "
              + String.join(", ", taken)
              + " (expected: free; stop what uses them, or move every demo port with"
              + " --port-offset N)");
    }
  }
}
