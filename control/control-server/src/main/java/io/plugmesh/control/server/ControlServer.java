package io.plugmesh.control.server;

import static java.util.Objects.requireNonNull;

import io.etcd.jetcd.Client;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.TlsServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.plugmesh.config.ConfigError;
import io.plugmesh.control.api.PluginDescriptors;
import io.plugmesh.control.api.v1.ProxyStatus;
import io.plugmesh.control.server.admin.AdminGrpcService;
import io.plugmesh.control.server.admin.AdminHttp;
import io.plugmesh.control.server.admin.ControlOperations;
import io.plugmesh.control.server.admin.RegistryGrpcService;
import io.plugmesh.control.server.admin.TokenAuth;
import io.plugmesh.control.server.ca.CertificateAuthority;
import io.plugmesh.control.server.ca.CertificateService;
import io.plugmesh.control.server.ca.JoinTokenAuth;
import io.plugmesh.control.server.ca.SecurityOptions;
import io.plugmesh.control.server.ca.ServerCertificate;
import io.plugmesh.control.server.push.Distributor;
import io.plugmesh.control.server.push.StatusBook;
import io.plugmesh.control.server.registry.EtcdRegistry;
import io.plugmesh.control.server.registry.MemoryRegistry;
import io.plugmesh.control.server.registry.ServiceRegistry;
import io.plugmesh.control.server.store.DesiredState;
import io.plugmesh.control.server.store.EtcdMirror;
import io.plugmesh.control.server.store.EtcdStateStore;
import io.plugmesh.control.server.store.FileStateStore;
import io.plugmesh.control.server.store.StateStore;
import io.plugmesh.control.server.validate.PluginCatalog;
import io.plugmesh.control.server.validate.Validator;
import io.plugmesh.filters.FilterFactory;
import io.plugmesh.pluginruntime.PluginApi;
import io.plugmesh.pluginruntime.PluginHost;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A control service replica: the proxy stream (gRPC), the admin API (gRPC and JSON over HTTP,
 * token-protected) and the service registry, over a file or etcd store.
 */
public final class ControlServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ControlServer.class);

  /** The largest admin request or proxy message accepted: 16 MiB. */
  public static final int MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

  /**
   * How a replica runs.
   *
   * @param host the address to bind (gRPC and HTTP)
   * @param grpcPort the gRPC port (proxies, admin, registry), 0 for ephemeral
   * @param httpPort the JSON admin port, 0 for ephemeral, -1 for none
   * @param token the admin token (admin API and registry)
   * @param proxyToken the token proxies must send, or null to accept any proxy
   * @param storeDir the directory of YAML files (file mode), or null in etcd mode
   * @param etcdEndpoints etcd URLs (etcd mode), or empty
   * @param etcdPrefix the etcd key prefix, e.g. {@code /plugmesh}
   * @param replica this replica's name
   * @param pluginsDir plugin jars whose filters join the catalog, or null
   */
  public record Options(
      String host,
      int grpcPort,
      int httpPort,
      String token,
      String proxyToken,
      Path storeDir,
      List<String> etcdEndpoints,
      String etcdPrefix,
      String replica,
      Path pluginsDir) {
    /** Checks the options. */
    public Options {
      requireNonNull(host, "host");
      requireNonNull(token, "token");
      etcdEndpoints = List.copyOf(etcdEndpoints);
      if ((storeDir == null) == etcdEndpoints.isEmpty()) {
        throw new IllegalArgumentException(
            "store: expected either a directory of YAML files or etcd endpoints");
      }
      etcdPrefix = etcdPrefix == null ? "/plugmesh" : etcdPrefix;
      replica = replica == null ? "control" : replica;
    }
  }

  /** The shortest keepalive ping interval accepted from proxies. */
  public static final long PERMIT_KEEPALIVE_SECONDS = 5;

  private final Options options;
  private final SecurityOptions security;
  private CertificateAuthority ca;
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private final PluginCatalog catalog = new PluginCatalog();
  private final Validator validator = new Validator(catalog);
  private final StatusBook status;
  private Client etcd;
  private EtcdMirror mirror;
  private StateStore store;
  private ServiceRegistry registry;
  private Distributor distributor;
  private ControlOperations ops;
  private Server grpc;
  private AdminHttp http;
  private volatile String stateError;

  private ControlServer(Options options, SecurityOptions security) {
    this.options = options;
    this.security = security;
    this.status = new StatusBook(options.replica());
  }

  /**
   * Starts a replica.
   *
   * @param options how
   * @return the running replica
   * @throws IOException when a port cannot be bound
   */
  public static ControlServer start(Options options) throws IOException {
    return start(options, null);
  }

  /**
   * Starts a replica that is also the mesh certificate authority: proxies authenticate with join
   * tokens (on the proxy stream and {@code Certificates.Sign}) instead of the proxy token.
   *
   * @param options how
   * @param security the CA and join tokens, or null for none
   * @return the running replica
   * @throws IOException when a port cannot be bound or the CA cannot be read or created
   */
  public static ControlServer start(Options options, SecurityOptions security) throws IOException {
    ControlServer server = new ControlServer(requireNonNull(options, "options"), security);
    try {
      server.startAll();
      return server;
    } catch (IOException | RuntimeException e) {
      server.shutdownNow();
      throw e;
    }
  }

  private void startAll() throws IOException {
    if (options.pluginsDir() != null) {
      try (PluginHost host =
          PluginHost.load(options.pluginsDir(), PluginApi.VERSION, List.<FilterFactory<?>>of())) {
        catalog.addAll(PluginDescriptors.of(host));
      }
    }
    Runnable refreshCatalog = () -> {};
    Supplier<List<ProxyStatus>> remote = List::of;
    Runnable catalogChanged;
    if (options.storeDir() != null) {
      store = new FileStateStore(options.storeDir());
      registry = new MemoryRegistry();
      catalogChanged = () -> {};
    } else {
      etcd = Client.builder().endpoints(options.etcdEndpoints().toArray(String[]::new)).build();
      mirror = new EtcdMirror(etcd, options.etcdPrefix());
      closeables.add(mirror);
      mirror.saveDescriptors(new ArrayList<>(catalog.all().values()));
      catalog.addAll(mirror.loadDescriptors());
      store =
          new EtcdStateStore(etcd, String.join(",", options.etcdEndpoints()), options.etcdPrefix());
      registry = new EtcdRegistry(etcd, options.etcdPrefix());
      EtcdMirror m = mirror;
      refreshCatalog = () -> catalog.addAll(m.loadDescriptors());
      remote = m::statuses;
      status.mirrorTo(m::publish);
      catalogChanged = () -> m.saveDescriptors(new ArrayList<>(catalog.all().values()));
    }
    closeables.add(store);
    closeables.add(registry);
    distributor =
        new Distributor(options.replica(), catalog, validator, status, registry, catalogChanged);
    closeables.add(distributor);
    closeables.add(validator);
    ops =
        new ControlOperations(
            store, validator, catalog, distributor, status, registry, refreshCatalog, remote);
    store.watch(this::stateChanged);
    registry.watch(distributor::schedule);
    stateChanged(store.load());

    TokenAuth admin = new TokenAuth(options.token());
    InetSocketAddress address = new InetSocketAddress(options.host(), options.grpcPort());
    if (security != null) {
      ca = openCa();
    }
    NettyServerBuilder builder =
        (security != null && security.tls()
                ? NettyServerBuilder.forAddress(
                    address,
                    TlsServerCredentials.newBuilder().keyManager(new ServerCertificate(ca)).build())
                : NettyServerBuilder.forAddress(address))
            .maxInboundMessageSize(MAX_MESSAGE_BYTES)
            // Proxies ping every 10 s to notice a dead replica fast; allow it (gRPC's default
            // of 5 minutes answers such pings with GOAWAY too_many_pings).
            .permitKeepAliveTime(PERMIT_KEEPALIVE_SECONDS, TimeUnit.SECONDS)
            .permitKeepAliveWithoutCalls(true)
            .addService(ServerInterceptors.intercept(new AdminGrpcService(ops), admin))
            .addService(ServerInterceptors.intercept(new RegistryGrpcService(registry), admin));
    if (security != null) {
      JoinTokenAuth proxies = new JoinTokenAuth(security.joinTokens());
      builder.addService(ServerInterceptors.intercept(distributor, proxies));
      builder.addService(ServerInterceptors.intercept(new CertificateService(ca), proxies));
    } else if (options.proxyToken() != null) {
      builder.addService(
          ServerInterceptors.intercept(distributor, new TokenAuth(options.proxyToken())));
    } else {
      builder.addService(distributor);
    }
    grpc = builder.build().start();
    if (options.httpPort() >= 0) {
      http = AdminHttp.start(options.host(), options.httpPort(), ops, registry, admin);
    }
    log.info(
        "control replica '{}' serving on {}:{} (gRPC){} with {}",
        options.replica(),
        options.host(),
        grpc.getPort(),
        http == null ? "" : " and " + options.host() + ":" + http.port() + " (HTTP)",
        store.describe());
  }

  private CertificateAuthority openCa() throws IOException {
    if (security.rootCertificateFile() != null) {
      return CertificateAuthority.load(
          security.rootCertificateFile(), security.rootKeyFile(), security.workloadTtl());
    }
    Path dir = security.caDir();
    if (dir == null && options.storeDir() != null) {
      dir = options.storeDir().resolve(".ca");
    }
    if (dir == null) {
      throw new IllegalArgumentException(
          "mesh CA: no root (expected: a CA directory or root certificate and key files; "
              + "etcd mode does not generate one)");
    }
    return CertificateAuthority.open(dir, security.trustDomain(), security.workloadTtl());
  }

  /**
   * The mesh certificate authority (root rotation goes through it).
   *
   * @return the CA, or null when this replica was started without one
   */
  public CertificateAuthority certificateAuthority() {
    return ca;
  }

  private void stateChanged(DesiredState raw) {
    try {
      distributor.update(validator.canonical(raw));
      stateError = null;
    } catch (ConfigError e) {
      stateError = e.getMessage();
      log.error("desired state rejected; proxies keep the last good state: {}", e.getMessage());
    }
  }

  /**
   * The gRPC port.
   *
   * @return the port
   */
  public int grpcPort() {
    return grpc.getPort();
  }

  /**
   * The HTTP admin port.
   *
   * @return the port, or -1 without HTTP
   */
  public int httpPort() {
    return http == null ? -1 : http.port();
  }

  /**
   * The operations behind the admin API.
   *
   * @return the operations
   */
  public ControlOperations operations() {
    return ops;
  }

  /**
   * The service registry.
   *
   * @return the registry
   */
  public ServiceRegistry registry() {
    return registry;
  }

  /**
   * Why the stored state is not being distributed (a bad file edit), or null.
   *
   * @return the error
   */
  public String stateError() {
    return stateError;
  }

  /** Stops at once: open streams are cut, as if the process died. */
  public void shutdownNow() {
    if (grpc != null) {
      grpc.shutdownNow();
    }
    closeRest();
  }

  @Override
  public void close() {
    if (grpc != null) {
      grpc.shutdown();
      try {
        if (!grpc.awaitTermination(2, TimeUnit.SECONDS)) {
          grpc.shutdownNow();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        grpc.shutdownNow();
      }
    }
    closeRest();
  }

  private synchronized void closeRest() {
    if (http != null) {
      http.close();
      http = null;
    }
    for (int i = closeables.size() - 1; i >= 0; i--) {
      try {
        closeables.get(i).close();
      } catch (Exception e) {
        log.debug("closing {}: {}", closeables.get(i), e.toString());
      }
    }
    closeables.clear();
    if (etcd != null) {
      etcd.close();
      etcd = null;
    }
  }
}
