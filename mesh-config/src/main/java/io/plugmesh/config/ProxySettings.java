package io.plugmesh.config;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;

/**
 * The proxy's bootstrap settings, read from {@code proxy.yaml} by {@link SettingsLoader}: where the
 * admin endpoint listens, where plugins and the static mesh config are, metrics and access log
 * options, and protocol {@link Limits}. See {@code docs/configuration.md}.
 *
 * @param admin the admin endpoint's address
 * @param pluginsDir the PF4J plugins directory
 * @param configFile the static mesh config file, or null when the config comes only from a control
 *     service
 * @param metricsPrefix the prefix of every metric name, e.g. {@code mesh} for {@code
 *     mesh_requests_total}
 * @param accessLog the access log format and destination
 * @param limits protocol bounds and timeouts
 */
public record ProxySettings(
    Admin admin,
    Path pluginsDir,
    Path configFile,
    String metricsPrefix,
    AccessLog accessLog,
    Limits limits) {

  /** The admin address when none is set. */
  public static final Admin DEFAULT_ADMIN = new Admin("127.0.0.1", 15000);

  /** The plugins directory when none is set (relative to the settings file's folder). */
  public static final Path DEFAULT_PLUGINS_DIR = Path.of("plugins");

  /** The metrics prefix when none is set. */
  public static final String DEFAULT_METRICS_PREFIX = "mesh";

  /** The access log when none is set: text lines on standard output. */
  public static final AccessLog DEFAULT_ACCESS_LOG = new AccessLog(AccessLog.Format.TEXT, null);

  /** Settings when no file is given; relative paths are relative to the working directory. */
  public static final ProxySettings DEFAULTS =
      new ProxySettings(
          DEFAULT_ADMIN,
          DEFAULT_PLUGINS_DIR,
          null,
          DEFAULT_METRICS_PREFIX,
          DEFAULT_ACCESS_LOG,
          Limits.DEFAULTS);

  /** Checks the required parts. */
  public ProxySettings {
    requireNonNull(admin, "admin");
    requireNonNull(pluginsDir, "pluginsDir");
    requireNonNull(metricsPrefix, "metricsPrefix");
    requireNonNull(accessLog, "accessLog");
    requireNonNull(limits, "limits");
  }

  /**
   * Where the admin endpoint (health, readiness, metrics, config dump) listens.
   *
   * @param host the address to bind; keep it on loopback unless the admin API is protected
   * @param port the port, 0 for an ephemeral one
   * @param token when set, {@code /config}, {@code /plugins} and POST endpoints require {@code
   *     Authorization: Bearer <token>}; {@code /live}, {@code /ready} and {@code /metrics} stay
   *     open. Null for none.
   */
  public record Admin(String host, int port, String token) {
    /** Checks the required parts. */
    public Admin {
      requireNonNull(host, "host");
      if (token != null && token.isBlank()) {
        throw new IllegalArgumentException("admin token: empty (expected: a secret string)");
      }
    }

    /**
     * An admin endpoint without a token.
     *
     * @param host the address to bind
     * @param port the port
     */
    public Admin(String host, int port) {
      this(host, port, null);
    }

    @Override
    public String toString() {
      return "Admin[host="
          + host
          + ", port="
          + port
          + ", token="
          + (token == null ? "none" : "<redacted>")
          + "]";
    }
  }

  /**
   * The access log.
   *
   * @param format text (Envoy's default line), json, or off
   * @param file the file to append to, or null for standard output
   */
  public record AccessLog(Format format, Path file) {
    /** Checks the required parts. */
    public AccessLog {
      requireNonNull(format, "format");
    }

    /** How access log entries are written. */
    public enum Format {
      /** One line per request in Envoy's default text format. */
      TEXT,
      /** One JSON object per line with the same fields in snake case. */
      JSON,
      /** No access log. */
      OFF
    }
  }
}
