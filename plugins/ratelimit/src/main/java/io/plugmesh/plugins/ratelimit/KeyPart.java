package io.plugmesh.plugins.ratelimit;

import static java.util.Objects.requireNonNull;

import io.plugmesh.filters.ContextKeys;
import io.plugmesh.filters.ProxyRequest;
import io.plugmesh.filters.advanced.Principal;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * One part of a rate-limit key, written in config as {@code route}, {@code ip}, {@code peer},
 * {@code header:<name>} or {@code claim:<name>}.
 */
public sealed interface KeyPart {

  /** Header and claim names: letters, digits and {@code - _ . :}, at most 64 characters. */
  Pattern NAME = Pattern.compile("[A-Za-z0-9_.:-]{1,64}");

  /**
   * The part as written in config, e.g. {@code header:x-api-key}.
   *
   * @return the spec
   */
  String spec();

  /**
   * This part's value for a request.
   *
   * @param request the request
   * @return the value, or empty when the request has none (it then falls in the default bucket)
   */
  Optional<String> extract(ProxyRequest request);

  /**
   * Parses a key part.
   *
   * @param spec the text, e.g. {@code claim:sub}
   * @return the part
   * @throws IllegalArgumentException naming what was expected
   */
  static KeyPart parse(String spec) {
    requireNonNull(spec, "spec");
    switch (spec) {
      case "route":
        return new Route();
      case "ip":
        return new ClientIp();
      case "peer":
        return new Peer();
      default:
        break;
    }
    int colon = spec.indexOf(':');
    String kind = colon < 0 ? spec : spec.substring(0, colon);
    String name = colon < 0 ? "" : spec.substring(colon + 1);
    if ((kind.equals("header") || kind.equals("claim")) && NAME.matcher(name).matches()) {
      return kind.equals("header") ? new Header(name.toLowerCase(Locale.ROOT)) : new Claim(name);
    }
    throw new IllegalArgumentException(
        "'"
            + spec
            + "' (expected: route, ip, peer, header:<name> or claim:<name>, names of letters,"
            + " digits, '-', '_', '.', ':')");
  }

  /** The route's name: one bucket for the whole route. */
  record Route() implements KeyPart {
    @Override
    public String spec() {
      return "route";
    }

    @Override
    public Optional<String> extract(ProxyRequest request) {
      return Optional.of(request.context().routeName());
    }
  }

  /** The client's IP address ({@link ContextKeys#CLIENT_ADDRESS}). */
  record ClientIp() implements KeyPart {
    @Override
    public String spec() {
      return "ip";
    }

    @Override
    public Optional<String> extract(ProxyRequest request) {
      return request
          .context()
          .get(ContextKeys.CLIENT_ADDRESS)
          .map(
              a -> {
                InetAddress address = a.getAddress();
                return address != null ? address.getHostAddress() : hostString(a);
              });
    }

    private static String hostString(InetSocketAddress a) {
      return a.getHostString();
    }
  }

  /** The mTLS peer identity ({@link ContextKeys#PEER_IDENTITY}). */
  record Peer() implements KeyPart {
    @Override
    public String spec() {
      return "peer";
    }

    @Override
    public Optional<String> extract(ProxyRequest request) {
      return request.context().get(ContextKeys.PEER_IDENTITY).filter(s -> !s.isEmpty());
    }
  }

  /**
   * A request header's first value, trimmed; empty values count as absent.
   *
   * @param name the header name, lower case
   */
  record Header(String name) implements KeyPart {
    @Override
    public String spec() {
      return "header:" + name;
    }

    @Override
    public Optional<String> extract(ProxyRequest request) {
      String value = request.headers().get(name);
      if (value == null) {
        return Optional.empty();
      }
      String trimmed = value.trim();
      return trimmed.isEmpty() ? Optional.empty() : Optional.of(trimmed);
    }
  }

  /**
   * A claim of the authenticated caller ({@link ContextKeys#PRINCIPAL}), e.g. {@code sub} or {@code
   * client_id}; {@code sub} falls back to the principal's subject.
   *
   * @param name the claim name
   */
  record Claim(String name) implements KeyPart {
    @Override
    public String spec() {
      return "claim:" + name;
    }

    @Override
    public Optional<String> extract(ProxyRequest request) {
      Optional<Principal> principal = request.context().get(ContextKeys.PRINCIPAL);
      if (principal.isEmpty()) {
        return Optional.empty();
      }
      Optional<String> claim = principal.get().claim(name);
      if (claim.isEmpty() && name.equals("sub")) {
        claim = Optional.of(principal.get().subject());
      }
      return claim.filter(s -> !s.isEmpty());
    }
  }
}
