package io.plugmesh.plugins.ratelimit;

import static java.util.Objects.requireNonNull;

import io.plugmesh.filters.ProxyRequest;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;

/**
 * The key of one caller's bucket: every configured {@link KeyPart} with its value, e.g. {@code
 * route=reviews|claim:sub=alice}. A part the request lacks is written without a value ({@code
 * claim:sub}), so all requests lacking it share one default bucket.
 *
 * @param text the key text, bounded in length
 * @param values each part's value in config order, {@code null} when absent
 */
public record BucketKey(String text, List<String> values) {

  /** Values longer than this (in characters) are replaced by a SHA-256 digest: 256. */
  public static final int MAX_VALUE_CHARS = 256;

  /**
   * Creates a key.
   *
   * @param text the key text
   * @param values the values, null for absent parts
   */
  public BucketKey {
    requireNonNull(text, "text");
    values = Collections.unmodifiableList(new ArrayList<>(requireNonNull(values, "values")));
  }

  /**
   * Whether every part had a value.
   *
   * @return false when the request falls in a default bucket
   */
  public boolean complete() {
    return !values.contains(null);
  }

  /**
   * Extracts the key of a request.
   *
   * @param parts the configured parts
   * @param request the request
   * @return the key
   */
  public static BucketKey of(List<KeyPart> parts, ProxyRequest request) {
    StringBuilder text = new StringBuilder();
    List<String> values = new ArrayList<>(parts.size());
    for (KeyPart part : parts) {
      if (text.length() > 0) {
        text.append('|');
      }
      text.append(part.spec());
      String value = part.extract(request).map(BucketKey::bounded).orElse(null);
      values.add(value);
      if (value != null) {
        text.append('=');
        escape(value, text);
      }
    }
    return new BucketKey(text.toString(), values);
  }

  /** Long values become a digest so keys stay small; the digest keeps callers apart. */
  static String bounded(String value) {
    if (value.length() <= MAX_VALUE_CHARS) {
      return value;
    }
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
      return "sha256:" + HexFormat.of().formatHex(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is not available", e);
    }
  }

  /** Percent-escapes the separators and control characters so distinct values stay distinct. */
  private static void escape(String value, StringBuilder out) {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == '%' || c == '|' || c == '=' || c < 0x20 || c == 0x7f) {
        out.append('%')
            .append(Character.forDigit(c >> 4 & 0xf, 16))
            .append(Character.forDigit(c & 0xf, 16));
      } else {
        out.append(c);
      }
    }
  }

  @Override
  public String toString() {
    return text;
  }
}
