/**
 * Unit-test a plugmesh filter, or a whole chain of them, in-process: no sockets, no proxy, virtual
 * time, and the proxy's own chain rules.
 *
 * <h2>Start here</h2>
 *
 * <pre>{@code
 * @Test
 * void rejectsRequestsWithoutTenant() {
 *   FilterHarness harness = FilterHarness.of(new TenantFilterFactory(), Map.of("header", "x-tenant"));
 *   TestResponse response = harness.send(TestRequest.get("/reviews"));
 *   assertThat(response.status()).isEqualTo(403);
 *   assertThat(harness.upstream().attempts()).isZero();
 * }
 * }</pre>
 *
 * <ol>
 *   <li>{@link io.plugmesh.filters.testkit.FilterHarness} builds the chain from your {@link
 *       io.plugmesh.filters.FilterFactory} and a config written as plain maps, checking the config
 *       against your JSON Schema first with the proxy's own validator, so schema mistakes show up
 *       in unit tests with the messages an admin would see. It also takes a plain {@link
 *       io.plugmesh.filters.Filter}, or several plugins with {@link
 *       io.plugmesh.filters.advanced.FilterMode modes} (enforce, shadow, off).
 *   <li>{@link io.plugmesh.filters.testkit.TestRequest} describes a request: method, path, headers,
 *       body, client address, and context attributes such as a preset {@link
 *       io.plugmesh.filters.advanced.Principal}.
 *   <li>{@link io.plugmesh.filters.testkit.TestResponse} is what came back: status, headers, body,
 *       whether it came from the upstream, which plugin answered, each plugin's decision, the
 *       response flags, and the failure if a filter failed.
 *   <li>{@link io.plugmesh.filters.testkit.FakeUpstream} answers as scripted ({@link
 *       io.plugmesh.filters.testkit.UpstreamOutcome}: respond, fail with an {@link
 *       io.plugmesh.filters.advanced.UpstreamException}, hang, after a delay) and records every
 *       {@link io.plugmesh.filters.testkit.UpstreamRequest} that reached it.
 *   <li>{@link io.plugmesh.filters.testkit.VirtualTime} drives the plugins' clock, {@code
 *       nanoTime()} and scheduler: nothing happens until the test calls {@link
 *       io.plugmesh.filters.testkit.FilterHarness#advance(java.time.Duration) advance}.
 *   <li>{@link io.plugmesh.filters.testkit.TestMetrics} and {@link
 *       io.plugmesh.filters.testkit.LogEntry} hold what the plugins recorded and logged; {@link
 *       io.plugmesh.filters.testkit.TestFilterServices} is the {@link
 *       io.plugmesh.filters.FilterServices} behind it all, usable on its own.
 * </ol>
 *
 * <p>A retry against a flaky upstream, with a timer:
 *
 * <pre>{@code
 * FilterHarness harness = FilterHarness.builder()
 *     .add(new RetryFactory(), Map.of("attempts", 3, "backoff", "100ms"))
 *     .upstream(FakeUpstream.script(fail(UpstreamException.Kind.RESET), respond(200, "ok")))
 *     .build();
 * CompletableFuture<TestResponse> pending = harness.sendAsync(TestRequest.get("/"));
 * harness.advance(Duration.ofMillis(100));
 * TestResponse response = harness.await(pending);
 * assertThat(response.bodyText()).isEqualTo("ok");
 * assertThat(harness.upstream().attempts()).isEqualTo(2);
 * }</pre>
 */
package io.plugmesh.filters.testkit;
