package io.plugmesh.plugins.rbac;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class PathNormalizerTest {

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "/, /",
    "'', /",
    "/admin, /admin",
    "/admin?x=1, /admin",
    "/a/b/, /a/b/",
    "//admin, /admin",
    "/public//..//admin, /admin",
    "/public/../admin, /admin",
    "/public/%2e%2e/admin, /admin",
    "/public/%2E%2E/admin, /admin",
    "/public/.%2e/admin, /admin",
    "/./admin, /admin",
    "/admin/., /admin/",
    "/admin/x/.., /admin/",
    "/../../admin, /admin",
    "/%61dmin, /admin",
    "/%7euser, /~user",
    "/a%20b, /a%20b",
    "/a%3fb, /a%3Fb",
    "/a;b, /a;b",
  })
  void normalizes(String raw, String normal) {
    assertThat(PathNormalizer.normalize(raw)).contains(normal);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "/admin%2Fsecret",
        "/admin%2fsecret",
        "/public%2F..%2Fadmin",
        "/admin%5Csecret",
        "/admin\\secret",
        "/admin%00",
        "/admin%zz",
        "/admin%2",
        "/a b",
        "admin",
        "/caf\u00e9"
      })
  void pathsWithoutASafeNormalFormAreRefused(String raw) {
    assertThat(PathNormalizer.normalize(raw)).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"/", "/admin", "/a/b/", "/a%20b", "/x/y.json"})
  void normalPathsStayAsTheyAre(String path) {
    assertThat(PathNormalizer.normalize(path)).contains(path);
    assertThat(PathNormalizer.normalize(PathNormalizer.normalize(path).orElseThrow()))
        .contains(path);
  }
}
