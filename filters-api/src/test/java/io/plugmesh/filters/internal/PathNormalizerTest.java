package io.plugmesh.filters.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class PathNormalizerTest {
  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "/, /",
    "/reviews/1, /reviews/1",
    "'', /",
    "/a/./b, /a/b",
    "/a/../b, /b",
    "/a/b/.., /a/",
    "/a/b/., /a/b/",
    "/.., /",
    "/../../etc/passwd, /etc/passwd",
    "/a/b/c/../../d, /a/d",
    "/public/../admin, /admin",
    "//admin, /admin",
    "/a//b///c, /a/b/c",
    "/a/.//../b, /b",
    "/%2e%2e/admin, /admin",
    "/a/%2E%2e/b, /b",
    "/a/%2e/b, /a/b",
    "/.%2e/x, /x",
    "/%61%62%63, /abc",
    "/%7e%2D%5f, /~-_",
    "/a%20b, /a%20b",
    "/a%2a, /a%2A",
    "/a%3fb, /a%3Fb",
    "/%25, /%25",
    "/...//x, /.../x",
    "/a/..b/c, /a/..b/c",
    "/a/.b, /a/.b",
    "/a;b=c/d, /a;b=c/d",
    "/public//..//admin, /admin",
    "/public/.%2e/admin, /admin",
    "/./admin, /admin",
    "/admin/x/.., /admin/",
    "/%7euser, /~user",
    "/Admin, /Admin",
  })
  void normalizes(String raw, String expected) {
    assertThat(PathNormalizer.normalize(raw)).isEqualTo(expected);
  }

  @Test
  void returnsANormalPathUnchangedWithoutCopying() {
    String path = "/reviews/123/comments";
    assertThat(PathNormalizer.normalize(path)).isSameAs(path);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "/a%2Fb",
        "/a%2fb",
        "/a%5Cb",
        "/a%5cb",
        "/a%00b",
        "/a\\b",
        "/a%",
        "/a%2",
        "/a%zz",
        "/a%g1",
        "/a b",
        "/a\tb",
        "/a\u0000b",
        "/caf\u00e9",
        "reviews",
        "*",
        "/public%2F..%2Fadmin",
        "/admin#fragment",
        "/admin%2",
      })
  void rejects(String raw) {
    assertThatThrownBy(() -> PathNormalizer.normalize(raw))
        .isInstanceOf(RejectedPathException.class);
  }

  @Test
  void saysWhatWasRejected() {
    assertThatThrownBy(() -> PathNormalizer.normalize("/files/a%2Fb"))
        .hasMessage("encoded '/' (%2F) at index 8");
    assertThatThrownBy(() -> PathNormalizer.normalize("/x%00"))
        .hasMessage("encoded NUL (%00) at index 2");
    assertThatThrownBy(() -> PathNormalizer.normalize("/x%4")).hasMessageStartingWith("incomplete");
  }

  @Test
  void aFragmentIsRejectedNotCut() {
    // a request target never carries a fragment (RFC 9112 3.2); cutting it would let
    // "/admin#x" reach an upstream that reads it differently
    assertThatThrownBy(() -> PathNormalizer.normalize("/admin#x"))
        .hasMessage("'#' at index 6 (expected: no fragment in a request target)");
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "/admin?x=1, /admin",
    "/a/../b?x=/../c, /b",
    "/?x, /",
    "'', /",
  })
  void aTargetLosesItsQuery(String target, String path) {
    assertThat(PathNormalizer.normalizeTarget(target)).contains(path);
  }

  @ParameterizedTest
  @ValueSource(strings = {"/a%2Fb?x=1", "admin?x", "/a b?x", "/a#b?x"})
  void aTargetWithoutNormalFormIsEmpty(String target) {
    assertThat(PathNormalizer.normalizeTarget(target)).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"/", "/admin", "/a/b/", "/a%20b", "/x/y.json", "/a/..b/c"})
  void normalizingANormalPathChangesNothing(String path) {
    assertThat(PathNormalizer.normalize(path)).isEqualTo(path);
    assertThat(PathNormalizer.normalize(PathNormalizer.normalize(path))).isEqualTo(path);
  }

  @Test
  void decodingDoesNotCreateSlashesToMerge() {
    // %2e decodes to '.', never to '/', so "/a/%2e%2e%2f" is rejected, not turned into "/"
    assertThatThrownBy(() -> PathNormalizer.normalize("/a/%2e%2e%2fb"))
        .isInstanceOf(RejectedPathException.class);
  }
}
