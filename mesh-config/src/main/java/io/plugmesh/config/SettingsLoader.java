package io.plugmesh.config;

import static java.util.Objects.requireNonNull;

import io.plugmesh.config.Problems.Scope;
import io.plugmesh.filters.ConfigNode;
import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Reads the proxy's bootstrap file {@code proxy.yaml} into {@link ProxySettings}. Every section and
 * field is optional and defaults to {@link ProxySettings#DEFAULTS}; unknown fields are errors.
 * Relative paths resolve against the settings file's folder.
 *
 * <pre>{@code
 * ProxySettings settings = SettingsLoader.load(Path.of("conf/proxy.yaml")); // throws ConfigError
 * }</pre>
 */
public final class SettingsLoader {
  /** Metric name prefixes: Prometheus metric name characters. */
  public static final Pattern METRICS_PREFIX = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]{0,63}");

  /** The access log {@code path} that means standard output. */
  public static final String STDOUT = "stdout";

  private static final List<String> TOP_FIELDS =
      List.of("admin", "plugins", "config", "metrics", "accessLog", "limits");
  private static final RecordComponent[] LIMIT_FIELDS = Limits.class.getRecordComponents();

  private SettingsLoader() {}

  /**
   * Reads a settings file; relative paths in it resolve against its folder.
   *
   * @param file the YAML file
   * @return the settings
   * @throws ConfigError if the file cannot be read, is malformed or invalid
   */
  public static ProxySettings load(Path file) {
    requireNonNull(file, "file");
    String text = ConfigLoader.readFile(file);
    return parseYaml(text, file.toString(), file.toAbsolutePath().getParent());
  }

  /**
   * Reads settings text; relative paths stay relative (to the working directory).
   *
   * @param yaml the document
   * @param source where it came from, for messages
   * @return the settings
   * @throws ConfigError if the text is malformed or invalid
   */
  public static ProxySettings parseYaml(String yaml, String source) {
    return parseYaml(yaml, source, null);
  }

  /**
   * Reads settings text, resolving relative paths against a folder.
   *
   * @param yaml the document
   * @param source where it came from, for messages
   * @param baseDir the folder relative paths resolve against, or null to keep them relative
   * @return the settings
   * @throws ConfigError if the text is malformed or invalid
   */
  public static ProxySettings parseYaml(String yaml, String source, Path baseDir) {
    requireNonNull(yaml, "yaml");
    Object tree = ConfigLoader.parseTree(yaml, source);
    Problems p = new Problems();
    ProxySettings settings = read(ConfigNode.of(tree), baseDir, p);
    p.throwIfAny(source);
    return settings;
  }

  private static ProxySettings read(ConfigNode root, Path baseDir, Problems p) {
    Scope s = Scope.ROOT;
    if (!p.checkObject(s, root, TOP_FIELDS, Map.of())) {
      return null;
    }
    ProxySettings.Admin admin = ProxySettings.DEFAULT_ADMIN;
    Optional<ConfigNode> adminNode = root.find("admin");
    if (adminNode.isPresent()
        && p.checkObject(s, adminNode.get(), List.of("address", "tokenFile"), Map.of())) {
      ConfigNode address = adminNode.get().find("address").orElse(null);
      if (address != null) {
        HostPort hp = p.read(s, () -> parseAddress(address));
        if (hp != null) {
          admin = new ProxySettings.Admin(hp.host(), hp.port());
        }
      }
      String tokenFile = p.read(s, () -> nonBlank(adminNode.get(), "tokenFile"));
      if (tokenFile != null) {
        ConfigNode node = adminNode.get().find("tokenFile").orElseThrow();
        ProxySettings.Admin base = admin;
        ProxySettings.Admin withToken =
            p.read(
                s,
                () -> {
                  Path file = resolve(baseDir, Path.of(tokenFile));
                  String token;
                  try {
                    token = Files.readString(file, StandardCharsets.UTF_8).strip();
                  } catch (IOException e) {
                    throw node.invalid(
                        "cannot read "
                            + file
                            + " ("
                            + e.getClass().getSimpleName()
                            + "; expected: a readable file holding the admin token)");
                  }
                  if (token.isEmpty()) {
                    throw node.invalid(file + " is empty (expected: the admin token)");
                  }
                  return new ProxySettings.Admin(base.host(), base.port(), token);
                });
        if (withToken != null) {
          admin = withToken;
        }
      }
    }

    Path pluginsDir = resolve(baseDir, ProxySettings.DEFAULT_PLUGINS_DIR);
    Optional<ConfigNode> plugins = root.find("plugins");
    if (plugins.isPresent() && p.checkObject(s, plugins.get(), List.of("dir"), Map.of())) {
      String dir = p.read(s, () -> nonBlank(plugins.get(), "dir"));
      if (dir != null) {
        pluginsDir = resolve(baseDir, Path.of(dir));
      }
    }

    Path configFile = null;
    Optional<ConfigNode> config = root.find("config");
    if (config.isPresent() && p.checkObject(s, config.get(), List.of("file"), Map.of())) {
      String file = p.read(s, () -> nonBlank(config.get(), "file"));
      if (file != null) {
        configFile = resolve(baseDir, Path.of(file));
      }
    }

    String prefix = ProxySettings.DEFAULT_METRICS_PREFIX;
    Optional<ConfigNode> metrics = root.find("metrics");
    if (metrics.isPresent() && p.checkObject(s, metrics.get(), List.of("prefix"), Map.of())) {
      String value = p.read(s, () -> metrics.get().string("prefix", null));
      if (value != null) {
        if (METRICS_PREFIX.matcher(value).matches()) {
          prefix = value;
        } else {
          p.add(
              s,
              "metrics.prefix",
              Problems.describe(value)
                  + " (expected: letters, digits and '_', not starting with a digit)");
        }
      }
    }

    ProxySettings.AccessLog accessLog = ProxySettings.DEFAULT_ACCESS_LOG;
    Optional<ConfigNode> log = root.find("accessLog");
    if (log.isPresent() && p.checkObject(s, log.get(), List.of("format", "path"), Map.of())) {
      ProxySettings.AccessLog.Format format =
          p.read(
              s,
              () ->
                  ConfigLoader.enumField(
                      log.get(),
                      "format",
                      ProxySettings.AccessLog.Format.class,
                      ProxySettings.AccessLog.Format.TEXT));
      String path = p.read(s, () -> nonBlank(log.get(), "path"));
      Path file = path == null || path.equals(STDOUT) ? null : resolve(baseDir, Path.of(path));
      if (format != null) {
        accessLog = new ProxySettings.AccessLog(format, file);
      }
    }

    Limits limits = Limits.DEFAULTS;
    Optional<ConfigNode> limitsNode = root.find("limits");
    if (limitsNode.isPresent()) {
      limits = limits(limitsNode.get(), p);
    }
    return new ProxySettings(admin, pluginsDir, configFile, prefix, accessLog, limits);
  }

  /** Reads every {@link Limits} component by name, each defaulting to {@link Limits#DEFAULTS}. */
  private static Limits limits(ConfigNode node, Problems p) {
    Scope s = Scope.ROOT;
    List<String> names = new ArrayList<>();
    for (RecordComponent c : LIMIT_FIELDS) {
      names.add(c.getName());
    }
    if (!p.checkObject(s, node, names, Map.of())) {
      return Limits.DEFAULTS;
    }
    Object[] values = new Object[LIMIT_FIELDS.length];
    Class<?>[] types = new Class<?>[LIMIT_FIELDS.length];
    for (int i = 0; i < LIMIT_FIELDS.length; i++) {
      RecordComponent c = LIMIT_FIELDS[i];
      types[i] = c.getType();
      Object fallback = get(c, Limits.DEFAULTS);
      values[i] = fallback;
      String field = c.getName();
      if (!node.has(field)) {
        continue;
      }
      ConfigNode value = node.get(field);
      if (c.getType() == int.class) {
        Integer v = p.read(s, () -> node.integer(field));
        if (v != null && v < 1) {
          p.add(s, value.path(), v + " (expected: > 0)");
        } else if (v != null) {
          values[i] = v;
        }
      } else if (c.getType() == Duration.class) {
        Duration v = p.read(s, value::asDuration);
        if (v != null && v.isZero()) {
          p.add(s, value.path(), Problems.describe(value.raw()) + " (expected: > 0)");
        } else if (v != null) {
          values[i] = v;
        }
      } else if (c.getType() == boolean.class) {
        Boolean v = p.read(s, value::asBoolean);
        if (v != null) {
          values[i] = v;
        }
      } else {
        throw new IllegalStateException("Limits." + field + ": unsupported type " + c.getType());
      }
    }
    try {
      Constructor<Limits> constructor = Limits.class.getDeclaredConstructor(types);
      return constructor.newInstance(values);
    } catch (NoSuchMethodException | InstantiationException | IllegalAccessException e) {
      throw new IllegalStateException("Limits: cannot construct", e);
    } catch (InvocationTargetException e) {
      throw new IllegalStateException("Limits: cannot construct", e.getCause());
    }
  }

  private static Object get(RecordComponent component, Limits limits) {
    try {
      return component.getAccessor().invoke(limits);
    } catch (IllegalAccessException | InvocationTargetException e) {
      throw new IllegalStateException("Limits." + component.getName() + ": cannot read", e);
    }
  }

  private static HostPort parseAddress(ConfigNode node) {
    HostPort hp = HostPort.parse(node.asString());
    if (hp == null) {
      throw node.invalid(Problems.describe(node.raw()) + " (expected: " + HostPort.EXPECTED + ")");
    }
    if (hp.port() > ConfigValidator.MAX_PORT) {
      throw node.invalid(
          Problems.describe(node.raw())
              + " (expected: a port in 0.."
              + ConfigValidator.MAX_PORT
              + ")");
    }
    return hp;
  }

  private static String nonBlank(ConfigNode node, String field) {
    Optional<ConfigNode> value = node.find(field);
    if (value.isEmpty()) {
      return null;
    }
    String text = value.get().asString();
    if (text.isBlank()) {
      throw value.get().invalid("\"\" (expected: a path)");
    }
    return text;
  }

  private static Path resolve(Path baseDir, Path path) {
    return baseDir == null ? path : baseDir.resolve(path);
  }
}
