package io.plugmesh.kernel.runtime;

import static java.util.Objects.requireNonNull;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How the proxy process ends on SIGTERM and SIGINT: the first signal runs the stop (drain, then
 * close) on its own thread and exits with status 0; a second one while it runs exits at once with
 * {@code 128 + signal} (143 for SIGTERM, 130 for SIGINT), the way shells report a signal. A JVM
 * shutdown hook alone cannot do this: the JVM exits 143 after its hooks, and ignores a second
 * signal while they run.
 *
 * <p>The handlers are installed through {@code sun.misc.Signal} (module {@code jdk.unsupported}),
 * looked up reflectively so the build stays free of internal-API warnings. Where it is missing (or
 * the JVM runs with {@code -Xrs}) only the shutdown hook remains, which runs the same stop.
 */
public final class ShutdownSignals {
  private static final Logger log = LoggerFactory.getLogger(ShutdownSignals.class);

  /** Exit status of a stop that finished. */
  public static final int STOPPED = 0;

  /** Offset of the exit status of a second signal, like a shell's {@code 128 + n}. */
  static final int SIGNAL_STATUS_BASE = 128;

  private static final int SIGINT = 2;
  private static final int SIGTERM = 15;

  private final Runnable stop;
  private final AtomicBoolean stopping = new AtomicBoolean();
  private boolean stopped;

  private ShutdownSignals(Runnable stop) {
    this.stop = requireNonNull(stop, "stop");
  }

  /**
   * Installs the handlers of SIGTERM and SIGINT and a shutdown hook, all running {@code stop} once.
   *
   * @param stop drains and closes the proxy; runs once
   * @return the installed handlers
   */
  public static ShutdownSignals install(Runnable stop) {
    ShutdownSignals signals = new ShutdownSignals(stop);
    Runtime.getRuntime().addShutdownHook(new Thread(signals::stopOnce, "plugmesh-shutdown"));
    signals.handle("TERM", SIGTERM);
    signals.handle("INT", SIGINT);
    return signals;
  }

  /** Runs the stop unless it ran; a caller arriving while it runs waits for it. */
  private synchronized void stopOnce() {
    if (!stopped) {
      stopped = true;
      stop.run();
    }
  }

  private void onSignal(String name, int number) {
    if (!stopping.compareAndSet(false, true)) {
      log.warn("second SIG{} while draining: exiting now", name);
      Runtime.getRuntime().halt(SIGNAL_STATUS_BASE + number);
      return;
    }
    Thread t =
        new Thread(
            () -> {
              stopOnce();
              System.exit(STOPPED);
            },
            "plugmesh-drain");
    t.start();
  }

  private void handle(String name, int number) {
    try {
      Class<?> signal = Class.forName("sun.misc.Signal");
      Class<?> handler = Class.forName("sun.misc.SignalHandler");
      InvocationHandler call =
          (Object proxy, Method method, Object[] args) -> {
            switch (method.getName()) {
              case "handle" -> onSignal(name, number);
              case "hashCode" -> {
                return System.identityHashCode(proxy);
              }
              case "equals" -> {
                return proxy == args[0];
              }
              case "toString" -> {
                return "plugmesh SIG" + name + " handler";
              }
              default -> {}
            }
            return null;
          };
      Object h = Proxy.newProxyInstance(handler.getClassLoader(), new Class<?>[] {handler}, call);
      signal
          .getMethod("handle", signal, handler)
          .invoke(null, signal.getConstructor(String.class).newInstance(name), h);
    } catch (ReflectiveOperationException | RuntimeException e) {
      log.warn(
          "cannot handle SIG{} ({}); it stops the proxy through the shutdown hook, exit status {}",
          name,
          e.toString(),
          SIGNAL_STATUS_BASE + number);
    }
  }
}
