package io.plugmesh.plugins.authnjwt;

import static java.util.Objects.requireNonNull;

import io.plugmesh.filters.ProxyRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Where a token may travel: a header (with a scheme prefix), a cookie or a query parameter. */
sealed interface TokenSource {

  /** The default: {@code Authorization: Bearer <token>}. */
  TokenSource BEARER = new Header("authorization", "Bearer ");

  /**
   * The tokens this location holds in a request.
   *
   * @param request the request
   * @return the token strings found, in arrival order; empty when none
   */
  List<String> find(ProxyRequest request);

  /**
   * Removes this location's tokens from the request, so the upstream does not see them.
   *
   * @param request the request
   */
  void strip(ProxyRequest request);

  /** A name for logs, e.g. {@code header authorization}. */
  String describe();

  /**
   * A request header; values must start with {@code prefix} (compared ignoring case), which is cut.
   *
   * @param name the header name, lower case
   * @param prefix e.g. {@code "Bearer "}; empty for the whole value
   */
  record Header(String name, String prefix) implements TokenSource {
    /** Checks the fields. */
    public Header {
      requireNonNull(name, "name");
      requireNonNull(prefix, "prefix");
    }

    @Override
    public List<String> find(ProxyRequest request) {
      List<String> out = new ArrayList<>(1);
      for (String value : request.headers().getAll(name)) {
        if (value.regionMatches(true, 0, prefix, 0, prefix.length())) {
          String token = value.substring(prefix.length()).trim();
          if (!token.isEmpty()) {
            out.add(token);
          }
        }
      }
      return out;
    }

    @Override
    public void strip(ProxyRequest request) {
      List<String> keep = new ArrayList<>();
      for (String value : request.headers().getAll(name)) {
        if (!value.regionMatches(true, 0, prefix, 0, prefix.length())) {
          keep.add(value);
        }
      }
      request.headers().remove(name);
      for (String value : keep) {
        request.headers().add(name, value);
      }
    }

    @Override
    public String describe() {
      return "header " + name;
    }
  }

  /**
   * A cookie in the {@code Cookie} header(s).
   *
   * @param name the cookie name, case-sensitive
   */
  record Cookie(String name) implements TokenSource {
    /** Checks the fields. */
    public Cookie {
      requireNonNull(name, "name");
    }

    @Override
    public List<String> find(ProxyRequest request) {
      List<String> out = new ArrayList<>(1);
      for (String header : request.headers().getAll("cookie")) {
        for (String pair : header.split(";")) {
          int eq = pair.indexOf('=');
          if (eq > 0 && pair.substring(0, eq).trim().equals(name)) {
            String value = unquote(pair.substring(eq + 1).trim());
            if (!value.isEmpty()) {
              out.add(value);
            }
          }
        }
      }
      return out;
    }

    @Override
    public void strip(ProxyRequest request) {
      List<String> rewritten = new ArrayList<>();
      for (String header : request.headers().getAll("cookie")) {
        StringBuilder kept = new StringBuilder();
        for (String pair : header.split(";")) {
          int eq = pair.indexOf('=');
          if (eq > 0 && pair.substring(0, eq).trim().equals(name)) {
            continue;
          }
          if (!pair.isBlank()) {
            kept.append(kept.length() == 0 ? "" : "; ").append(pair.trim());
          }
        }
        if (kept.length() > 0) {
          rewritten.add(kept.toString());
        }
      }
      request.headers().remove("cookie");
      for (String value : rewritten) {
        request.headers().add("cookie", value);
      }
    }

    @Override
    public String describe() {
      return "cookie " + name;
    }

    private static String unquote(String value) {
      return value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")
          ? value.substring(1, value.length() - 1)
          : value;
    }
  }

  /**
   * A query parameter, matched by its name as written (no decoding).
   *
   * @param name the parameter name
   */
  record Query(String name) implements TokenSource {
    /** Checks the fields. */
    public Query {
      requireNonNull(name, "name");
    }

    @Override
    public List<String> find(ProxyRequest request) {
      String path = request.path();
      int q = path.indexOf('?');
      if (q < 0) {
        return List.of();
      }
      List<String> out = new ArrayList<>(1);
      for (String param : path.substring(q + 1).split("&")) {
        int eq = param.indexOf('=');
        if (eq > 0 && param.substring(0, eq).equals(name) && eq + 1 < param.length()) {
          out.add(param.substring(eq + 1));
        }
      }
      return out;
    }

    @Override
    public void strip(ProxyRequest request) {
      String path = request.path();
      int q = path.indexOf('?');
      if (q < 0) {
        return;
      }
      StringBuilder kept = new StringBuilder();
      for (String param : path.substring(q + 1).split("&")) {
        int eq = param.indexOf('=');
        String key = eq < 0 ? param : param.substring(0, eq);
        if (key.equals(name) || param.isEmpty()) {
          continue;
        }
        kept.append(kept.length() == 0 ? "" : "&").append(param);
      }
      request.setPath(path.substring(0, q) + (kept.length() == 0 ? "" : "?" + kept));
    }

    @Override
    public String describe() {
      return "query parameter " + name;
    }
  }

  /** Lower-cases a header name for {@link Header}. */
  static String headerName(String name) {
    return name.toLowerCase(Locale.ROOT);
  }
}
