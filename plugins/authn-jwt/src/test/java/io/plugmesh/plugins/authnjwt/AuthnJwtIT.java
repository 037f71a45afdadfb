package io.plugmesh.plugins.authnjwt;

import static io.plugmesh.plugins.authnjwt.TestKeys.AUDIENCE;
import static io.plugmesh.plugins.authnjwt.TestKeys.ISSUER;
import static io.plugmesh.plugins.authnjwt.TestKeys.claims;
import static io.plugmesh.plugins.authnjwt.TestKeys.jwks;
import static io.plugmesh.plugins.authnjwt.TestKeys.sign;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.RSAKey;
import io.plugmesh.kernel.testing.KernelFixture;
import io.plugmesh.kernel.testing.TestUpstream;
import io.plugmesh.plugins.rbac.RbacFilterFactory;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * authn-jwt loaded from its real plugin jar into a real kernel, with rbac behind it, against a JWKS
 * server on loopback that rotates keys and goes down while requests flow.
 */
class AuthnJwtIT {
  static final RSAKey KEY_1 = TestKeys.rsa("key-1");
  static final ECKey KEY_2 = TestKeys.ec(com.nimbusds.jose.jwk.Curve.P_256, "key-2");

  @TempDir static Path plugins;
  static JwksServer idp;
  static TestUpstream app;
  static KernelFixture proxy;

  @BeforeAll
  static void start() throws Exception {
    Path jar;
    try (Stream<Path> files = Files.list(Path.of("target"))) {
      jar =
          files
              .filter(p -> p.getFileName().toString().matches("authn-jwt-.*-plugin\\.jar"))
              .findFirst()
              .orElseThrow(() -> new AssertionError("run 'package' first: no plugin jar"));
    }
    Files.copy(jar, plugins.resolve(jar.getFileName()));
    idp = new JwksServer(jwks(KEY_1));
    app = TestUpstream.http1("app");
    proxy =
        KernelFixture.startWithPlugins(
            """
            listeners:
              - {name: main, address: 127.0.0.1:0}
            clusters:
              - {name: app, endpoints: [{address: %s}]}
            routes:
              - name: api
                match: {pathPrefix: /}
                cluster: app
                plugins:
                  - name: authn-jwt
                    config:
                      issuer: %s
                      audiences: [%s]
                      jwksUri: %s
                      jwksCacheDuration: 2s
                      jwksRefetchInterval: 100ms
                      claimsToHeaders: [{claim: sub, header: x-user}]
                  - name: rbac
                    config:
                      rules:
                        - {name: no-admin, deny: {paths: [{prefix: /admin}]}}
                        - {name: readers, allow: {claims: {roles: [reader, admin]}}}
            """
                .formatted(app.address(), ISSUER, AUDIENCE, idp.uri()),
            plugins,
            new RbacFilterFactory());
  }

  @AfterAll
  static void stop() {
    if (proxy != null) {
      proxy.close();
    }
    if (app != null) {
      app.close();
    }
    if (idp != null) {
      idp.close();
    }
  }

  /** A token valid in real time for ten minutes. */
  static String token(com.nimbusds.jose.jwk.JWK key, String subject, String... roles) {
    Instant now = Instant.now();
    return sign(
        key instanceof RSAKey ? JWSAlgorithm.RS256 : JWSAlgorithm.ES256,
        key,
        claims()
            .subject(subject)
            .claim("roles", List.of(roles))
            .issueTime(Date.from(now))
            .expirationTime(Date.from(now.plus(Duration.ofMinutes(10))))
            .build());
  }

  static HttpResponse<String> get(String path, String token, String... headers) throws Exception {
    List<String> all = new ArrayList<>(List.of(headers));
    if (token != null) {
      all.add("authorization");
      all.add("Bearer " + token);
    }
    return proxy.get("main", path, all.toArray(String[]::new));
  }

  @Test
  void validTokensPassWithTheirClaimsAndInvalidOnesGet401() throws Exception {
    HttpResponse<String> ok = get("/echo/ok", token(KEY_1, "alice", "reader"), "x-user", "root");
    assertThat(ok.statusCode()).isEqualTo(200);
    TestUpstream.Seen seen =
        app.seen().stream().filter(s -> s.uri().equals("/echo/ok")).findFirst().orElseThrow();
    assertThat(seen.headers().get("x-user")).containsExactly("alice");
    assertThat(seen.header("authorization")).isNull();

    HttpResponse<String> missing = get("/echo/none", null);
    assertThat(missing.statusCode()).isEqualTo(401);
    assertThat(missing.headers().firstValue("www-authenticate")).contains("Bearer");

    String expired =
        sign(
            JWSAlgorithm.RS256,
            KEY_1,
            claims().expirationTime(Date.from(Instant.now().minusSeconds(300))).build());
    HttpResponse<String> refused = get("/echo/expired", expired);
    assertThat(refused.statusCode()).isEqualTo(401);
    assertThat(refused.headers().firstValue("www-authenticate").orElseThrow())
        .isEqualTo("Bearer error=\"invalid_token\", error_description=\"token expired\"");
    assertThat(app.seen()).noneMatch(s -> s.uri().startsWith("/echo/expired"));
  }

  @Test
  void rbacDecidesOnTheClaimsAuthnFound() throws Exception {
    assertThat(get("/echo/r", token(KEY_1, "bob", "reader")).statusCode()).isEqualTo(200);
    assertThat(get("/echo/r", token(KEY_1, "eve", "guest")).statusCode()).isEqualTo(403);
    HttpResponse<String> admin = get("/admin/users", token(KEY_1, "root", "admin"));
    assertThat(admin.statusCode()).isEqualTo(403);
    assertThat(admin.body()).contains("denied by rbac rule 'no-admin'");
    assertThat(get("/public/%2e%2e/admin", token(KEY_1, "root", "admin")).statusCode())
        .isEqualTo(403);
  }

  @Test
  void keysRotateAndTheEndpointFailsWhileRequestsFlow() throws Exception {
    String oldKeyToken = token(KEY_1, "alice", "reader");
    String newKeyToken = token(KEY_2, "alice", "reader");
    ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
    AtomicBoolean oldKeyValid = new AtomicBoolean(true);
    AtomicBoolean running = new AtomicBoolean(true);
    Thread traffic =
        new Thread(
            () -> {
              long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
              while (running.get() && System.nanoTime() < deadline) {
                try {
                  boolean expectOk = oldKeyValid.get();
                  int status = get("/echo/flow", oldKeyToken).statusCode();
                  if (status != 200 && status != 401 || (expectOk && status != 200)) {
                    problems.add("old-key token got " + status);
                  }
                } catch (Exception e) {
                  problems.add(e.toString());
                }
              }
            });
    traffic.start();
    try {
      // 1. The IdP publishes a second key: a token signed with it triggers a refetch.
      idp.serve(jwks(KEY_1, KEY_2));
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> get("/echo/new", newKeyToken).statusCode() == 200);

      // 2. The endpoint goes down: refreshes fail, the last good keys keep serving.
      int before = idp.requests();
      idp.fail(503);
      await().atMost(Duration.ofSeconds(10)).until(() -> idp.requests() >= before + 2);
      assertThat(get("/echo/new", newKeyToken).statusCode()).isEqualTo(200);
      assertThat(get("/echo/old", oldKeyToken).statusCode()).isEqualTo(200);
      assertThat(proxy.admin("/metrics"))
          .containsPattern("mesh_plugin_jwks_fetches_total\\{[^}]*result=\"failure\"[^}]*} [1-9]");

      // 3. The old key is retired: once a refresh sees it, its tokens are refused.
      oldKeyValid.set(false);
      idp.serve(jwks(KEY_2));
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> get("/echo/old", oldKeyToken).statusCode() == 401);
      assertThat(get("/echo/new", newKeyToken).statusCode()).isEqualTo(200);
    } finally {
      running.set(false);
      traffic.join(Duration.ofSeconds(15).toMillis());
    }
    assertThat(problems).isEmpty();
    assertThat(proxy.admin("/metrics"))
        .containsPattern("mesh_plugin_jwks_fetches_total\\{[^}]*result=\"success\"[^}]*} [1-9]");
  }
}
