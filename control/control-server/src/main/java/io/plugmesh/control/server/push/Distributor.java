package io.plugmesh.control.server.push;

import static java.util.Objects.requireNonNull;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.plugmesh.config.ConfigError;
import io.plugmesh.control.api.ResourceSet;
import io.plugmesh.control.api.v1.ControlMessage;
import io.plugmesh.control.api.v1.ControlPlaneGrpc;
import io.plugmesh.control.api.v1.Hello;
import io.plugmesh.control.api.v1.ProxyMessage;
import io.plugmesh.control.server.registry.ServiceRegistry;
import io.plugmesh.control.server.store.DesiredState;
import io.plugmesh.control.server.validate.PluginCatalog;
import io.plugmesh.control.server.validate.Validator;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Streams config to connected proxies. Any change (desired state, registry, a new proxy) schedules
 * one recomputation on a single thread; bursts coalesce into one. Each group of identical proxies
 * (service, labels, plugins) gets its config selected and checked once; a proxy whose config fails
 * the checks gets nothing new and its status shows why.
 */
public final class Distributor extends ControlPlaneGrpc.ControlPlaneImplBase
    implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Distributor.class);

  /** The most proxies connected to one replica at once: 10,000. */
  public static final int MAX_SESSIONS = 10_000;

  private final String replica;
  private final PluginCatalog catalog;
  private final Validator validator;
  private final StatusBook status;
  private final ServiceRegistry registry;
  private final Runnable catalogChanged;
  private final Map<String, ProxySession> sessions = new ConcurrentHashMap<>();
  private final ExecutorService pusher =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "plugmesh-control-push");
            t.setDaemon(true);
            return t;
          });
  private final AtomicBoolean scheduled = new AtomicBoolean();
  private final AtomicLong nonce = new AtomicLong();
  private volatile DesiredState state = DesiredState.EMPTY;

  /**
   * Creates the distributor.
   *
   * @param replica this replica's name (in nonces and status)
   * @param catalog the plugin catalog, extended by proxies' hellos
   * @param validator the checks
   * @param status where per-proxy status goes
   * @param registry live instances
   * @param catalogChanged called after a hello added plugins to the catalog
   */
  public Distributor(
      String replica,
      PluginCatalog catalog,
      Validator validator,
      StatusBook status,
      ServiceRegistry registry,
      Runnable catalogChanged) {
    this.replica = requireNonNull(replica, "replica");
    this.catalog = requireNonNull(catalog, "catalog");
    this.validator = requireNonNull(validator, "validator");
    this.status = requireNonNull(status, "status");
    this.registry = requireNonNull(registry, "registry");
    this.catalogChanged = requireNonNull(catalogChanged, "catalogChanged");
  }

  /**
   * Sets the desired state (canonical) and pushes what changed.
   *
   * @param canonical the new state
   */
  public void update(DesiredState canonical) {
    this.state = requireNonNull(canonical, "canonical");
    schedule();
  }

  /**
   * The desired state being distributed.
   *
   * @return the state
   */
  public DesiredState state() {
    return state;
  }

  /** Recomputes every proxy's config soon (coalesced). */
  public void schedule() {
    if (scheduled.compareAndSet(false, true)) {
      try {
        pusher.execute(this::pushAll);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        scheduled.set(false);
      }
    }
  }

  private void pushAll() {
    scheduled.set(false);
    DesiredState st = state;
    var instances = registry.instances();
    Map<String, Optional<ResourceSet>> groups = new HashMap<>();
    for (ProxySession s : sessions.values()) {
      Optional<ResourceSet> result =
          groups.computeIfAbsent(
              s.group(),
              g -> {
                ResourceSet set =
                    Selection.select(st, instances, s.hello().getService(), s.labels());
                List<ConfigError.Problem> problems =
                    validator.check(set, s.plugins(), target(s.hello()));
                if (problems.isEmpty()) {
                  return Optional.of(set);
                }
                String error = new ConfigError(target(s.hello()), problems).getMessage();
                log.warn("not pushing to proxies like {}: {}", s.node(), error);
                pendingErrors.put(g, error);
                return Optional.empty();
              });
      if (result.isPresent()) {
        status.pending(s.node(), null);
        s.offer(result.get());
      } else {
        status.pending(s.node(), pendingErrors.get(s.group()));
      }
    }
    pendingErrors.clear();
  }

  private final Map<String, String> pendingErrors = new HashMap<>();

  private static String target(Hello hello) {
    return "proxy '" + hello.getNodeId() + "' (service '" + hello.getService() + "')";
  }

  /**
   * The config a connected proxy is given.
   *
   * @param node the node id
   * @return the config and the proxy's hello, if connected here
   */
  public Optional<Map.Entry<Hello, ResourceSet>> configOf(String node) {
    ProxySession s = sessions.get(node);
    if (s == null) {
      return Optional.empty();
    }
    ResourceSet set =
        Selection.select(state, registry.instances(), s.hello().getService(), s.labels());
    return Optional.of(Map.entry(s.hello(), set));
  }

  /**
   * The hellos of the proxies connected here.
   *
   * @return one per proxy
   */
  public List<Hello> connected() {
    List<Hello> out = new ArrayList<>();
    sessions.values().forEach(s -> out.add(s.hello()));
    return out;
  }

  @Override
  public StreamObserver<ProxyMessage> stream(StreamObserver<ControlMessage> responses) {
    ServerCallStreamObserver<ControlMessage> out =
        (ServerCallStreamObserver<ControlMessage>) responses;
    return new StreamObserver<>() {
      private ProxySession session;

      @Override
      public void onNext(ProxyMessage message) {
        if (session == null) {
          if (!message.hasHello() || message.getHello().getNodeId().isBlank()) {
            out.onError(
                Status.INVALID_ARGUMENT
                    .withDescription("first message: expected a hello with a node id")
                    .asRuntimeException());
            return;
          }
          if (sessions.size() >= MAX_SESSIONS) {
            out.onError(
                Status.RESOURCE_EXHAUSTED
                    .withDescription(MAX_SESSIONS + " proxies connected (expected: fewer)")
                    .asRuntimeException());
            return;
          }
          Hello hello = message.getHello();
          session =
              new ProxySession(hello, out, status, () -> replica + "-" + nonce.incrementAndGet());
          ProxySession previous = sessions.put(hello.getNodeId(), session);
          if (previous != null) {
            previous.close();
          }
          status.connected(hello.getNodeId(), hello.getService(), hello.getLabelsMap());
          log.info(
              "proxy '{}' (service '{}') connected with {} plugins, serving '{}'",
              hello.getNodeId(),
              hello.getService(),
              hello.getPluginsCount(),
              hello.getAppliedVersion());
          if (!catalog.addAll(hello.getPluginsList()).isEmpty()) {
            catalogChanged.run();
          }
          schedule();
          return;
        }
        switch (message.getKindCase()) {
          case ACK -> session.onAck(message.getAck());
          case NACK -> {
            log.warn(
                "proxy '{}' rejected version {}: {}",
                session.node(),
                message.getNack().getVersion(),
                message.getNack().getMessage());
            session.onNack(message.getNack());
          }
          default -> {}
        }
      }

      @Override
      public void onError(Throwable t) {
        end();
      }

      @Override
      public void onCompleted() {
        end();
        try {
          out.onCompleted();
        } catch (RuntimeException e) {
          log.debug("completing a closed stream: {}", e.toString());
        }
      }

      private void end() {
        if (session != null) {
          session.close();
          if (sessions.remove(session.node(), session)) {
            status.disconnected(session.node());
          }
        }
      }
    };
  }

  @Override
  public void close() {
    pusher.shutdownNow();
    try {
      pusher.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
