package io.plugmesh.meshca;

import static java.util.Objects.requireNonNull;

import java.net.URI;
import java.util.regex.Pattern;

/**
 * A workload identity in the SPIFFE form {@code spiffe://<trust-domain>/ns/<namespace>/sa/<service
 * account>}, carried as the URI subject alternative name of a workload certificate.
 *
 * <pre>{@code
 * SpiffeId id = SpiffeId.of("mesh.local", "shop", "reviews");
 * id.uri(); // "spiffe://mesh.local/ns/shop/sa/reviews"
 * SpiffeId.parse("spiffe://mesh.local/ns/shop/sa/reviews").equals(id); // true
 * }</pre>
 *
 * @param trustDomain the trust domain: lower-case letters, digits, {@code . - _}
 * @param namespace the namespace: letters, digits, {@code . - _}
 * @param serviceAccount the service (account): letters, digits, {@code . - _}
 */
public record SpiffeId(String trustDomain, String namespace, String serviceAccount) {
  /** The URI scheme of SPIFFE identities. */
  public static final String SCHEME = "spiffe";

  /** The longest identity URI accepted, as in the SPIFFE specification (bytes of ASCII). */
  public static final int MAX_URI_LENGTH = 2048;

  /** The longest trust domain accepted. */
  public static final int MAX_TRUST_DOMAIN_LENGTH = 255;

  private static final Pattern TRUST_DOMAIN = Pattern.compile("[a-z0-9._-]+");
  private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9._-]+");
  private static final String PREFIX = SCHEME + "://";

  public SpiffeId {
    checkTrustDomain(trustDomain);
    checkSegment("namespace", namespace);
    checkSegment("serviceAccount", serviceAccount);
    if (uri(trustDomain, namespace, serviceAccount).length() > MAX_URI_LENGTH) {
      throw new IllegalArgumentException(
          "SPIFFE id longer than " + MAX_URI_LENGTH + " characters (expected: shorter)");
    }
  }

  /**
   * An identity from its parts.
   *
   * @param trustDomain the trust domain, e.g. {@code mesh.local}
   * @param namespace the namespace, e.g. {@code shop}
   * @param serviceAccount the service account, e.g. {@code reviews}
   * @return the identity
   * @throws IllegalArgumentException when a part is empty or has a character outside its set
   */
  public static SpiffeId of(String trustDomain, String namespace, String serviceAccount) {
    return new SpiffeId(trustDomain, namespace, serviceAccount);
  }

  /**
   * Parses {@code spiffe://<trust-domain>/ns/<namespace>/sa/<service account>}.
   *
   * @param uri the identity URI
   * @return the identity
   * @throws IllegalArgumentException when the text is not of that form
   */
  public static SpiffeId parse(String uri) {
    requireNonNull(uri, "uri");
    String expected = " (expected: spiffe://<trust-domain>/ns/<namespace>/sa/<service-account>)";
    if (!uri.startsWith(PREFIX) || uri.length() > MAX_URI_LENGTH) {
      throw new IllegalArgumentException("SPIFFE id '" + shorten(uri) + "'" + expected);
    }
    String rest = uri.substring(PREFIX.length());
    String[] parts = rest.split("/", -1);
    if (parts.length != 5 || !parts[1].equals("ns") || !parts[3].equals("sa")) {
      throw new IllegalArgumentException("SPIFFE id '" + shorten(uri) + "'" + expected);
    }
    try {
      return new SpiffeId(parts[0], parts[2], parts[4]);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("SPIFFE id '" + shorten(uri) + "': " + e.getMessage(), e);
    }
  }

  /**
   * The trust domain's own identity, {@code spiffe://<trust-domain>}, as a CA certificate carries
   * it.
   *
   * @param trustDomain the trust domain
   * @return the URI text
   * @throws IllegalArgumentException when the trust domain is invalid
   */
  public static String trustDomainUri(String trustDomain) {
    checkTrustDomain(trustDomain);
    return PREFIX + trustDomain;
  }

  /**
   * Checks a trust domain name.
   *
   * @param trustDomain the name
   * @return the name
   * @throws IllegalArgumentException when empty, too long or with a character outside {@code
   *     [a-z0-9._-]}
   */
  public static String checkTrustDomain(String trustDomain) {
    requireNonNull(trustDomain, "trustDomain");
    if (trustDomain.isEmpty()
        || trustDomain.length() > MAX_TRUST_DOMAIN_LENGTH
        || !TRUST_DOMAIN.matcher(trustDomain).matches()) {
      throw new IllegalArgumentException(
          "trustDomain: '"
              + shorten(trustDomain)
              + "' (expected: 1 to "
              + MAX_TRUST_DOMAIN_LENGTH
              + " of a-z 0-9 . - _)");
    }
    return trustDomain;
  }

  private static void checkSegment(String field, String value) {
    requireNonNull(value, field);
    if (value.isEmpty()
        || value.equals(".")
        || value.equals("..")
        || !SEGMENT.matcher(value).matches()) {
      throw new IllegalArgumentException(
          field + ": '" + shorten(value) + "' (expected: letters, digits, . - _; not . or ..)");
    }
  }

  private static String uri(String trustDomain, String namespace, String serviceAccount) {
    return PREFIX + trustDomain + "/ns/" + namespace + "/sa/" + serviceAccount;
  }

  private static String shorten(String text) {
    return text.length() <= 80 ? text : text.substring(0, 80) + "...";
  }

  /**
   * The identity as a URI text.
   *
   * @return e.g. {@code spiffe://mesh.local/ns/shop/sa/reviews}
   */
  public String uri() {
    return uri(trustDomain, namespace, serviceAccount);
  }

  /**
   * The identity as a {@link URI}.
   *
   * @return the URI
   */
  public URI toUri() {
    return URI.create(uri());
  }

  @Override
  public String toString() {
    return uri();
  }
}
