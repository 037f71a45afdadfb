package io.plugmesh.kernel.observe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.plugmesh.filters.advanced.ResponseFlag;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ProxyMetricsTest {

  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

  @AfterEach
  void close() {
    registry.close();
  }

  @Test
  void requestMetricsHaveIstioNamesAndLabels() {
    ProxyMetrics metrics = new ProxyMetrics(registry, ProxyMetrics.DEFAULT_PREFIX);
    metrics.record(RequestLogs.log("reviews-read", "reviews-v1", 200, Set.of()));
    metrics.record(RequestLogs.log("reviews-read", "reviews-v1", 200, Set.of()));
    metrics.record(
        RequestLogs.log(
            "reviews-read",
            "reviews-v1",
            429,
            EnumSet.of(ResponseFlag.LOCAL_RESPONSE, ResponseFlag.RATE_LIMITED)));

    String text = registry.scrape();

    assertThat(text)
        .contains("# TYPE mesh_requests_total counter")
        .contains("# HELP mesh_requests_total ")
        .contains(
            "mesh_requests_total{destination_cluster=\"reviews-v1\",listener=\"inbound\","
                + "reporter=\"destination\",request_protocol=\"HTTP/1.1\",response_code=\"200\","
                + "response_flags=\"-\",route=\"reviews-read\"} 2")
        .contains(
            "mesh_requests_total{destination_cluster=\"reviews-v1\",listener=\"inbound\","
                + "reporter=\"destination\",request_protocol=\"HTTP/1.1\",response_code=\"429\","
                + "response_flags=\"LR,RL\",route=\"reviews-read\"} 1")
        .contains("# TYPE mesh_request_duration_milliseconds histogram")
        .contains("# HELP mesh_request_duration_milliseconds ")
        .contains("mesh_request_bytes_bucket{")
        .contains("mesh_response_bytes_bucket{");
    // 7.25 ms falls in the 10 ms bucket, not the 5 ms one.
    assertThat(text)
        .contains(
            "mesh_request_duration_milliseconds_bucket{destination_cluster=\"reviews-v1\","
                + "listener=\"inbound\",reporter=\"destination\",request_protocol=\"HTTP/1.1\","
                + "response_code=\"200\",response_flags=\"-\",route=\"reviews-read\",le=\"5.0\"} 0")
        .contains(
            "mesh_request_duration_milliseconds_bucket{destination_cluster=\"reviews-v1\","
                + "listener=\"inbound\",reporter=\"destination\",request_protocol=\"HTTP/1.1\","
                + "response_code=\"200\",response_flags=\"-\",route=\"reviews-read\",le=\"10.0\"} 2");
  }

  @Test
  void absentRouteAndClusterAreUnknownAndReporterFollowsTheListener() {
    ProxyMetrics metrics = new ProxyMetrics(registry, "pm", Map.of("inbound", "source"));
    metrics.record(RequestLogs.log(null, null, 404, EnumSet.of(ResponseFlag.NO_ROUTE_FOUND)));

    assertThat(registry.scrape())
        .contains(
            "pm_requests_total{destination_cluster=\"unknown\",listener=\"inbound\","
                + "reporter=\"source\",request_protocol=\"HTTP/1.1\",response_code=\"404\","
                + "response_flags=\"NR\",route=\"unknown\"} 1");
  }

  @Test
  void labelSetsAreCappedAndOverflowIntoOther() {
    ProxyMetrics metrics = new ProxyMetrics(registry, "mesh", Map.of(), 3, 2);
    for (int i = 0; i < 10; i++) {
      metrics.record(RequestLogs.log("route-" + i, "cluster-" + i, 200, Set.of()));
    }
    // Third level: a status never seen folds into one series with every free label "other".
    metrics.record(RequestLogs.log("route-x", "cluster-x", 503, Set.of()));
    metrics.record(RequestLogs.log("route-y", "cluster-y", 502, Set.of()));

    String text = registry.scrape();
    assertThat(text).contains("route=\"route-0\"").contains("route=\"route-2\"");
    assertThat(text).doesNotContain("route=\"route-3\"").doesNotContain("route=\"route-9\"");
    assertThat(text)
        .contains(
            "mesh_requests_total{destination_cluster=\"other\",listener=\"inbound\","
                + "reporter=\"destination\",request_protocol=\"HTTP/1.1\",response_code=\"200\","
                + "response_flags=\"-\",route=\"other\"} 7");
    assertThat(text)
        .contains(
            "mesh_requests_total{destination_cluster=\"other\",listener=\"inbound\","
                + "reporter=\"destination\",request_protocol=\"HTTP/1.1\",response_code=\"503\","
                + "response_flags=\"-\",route=\"other\"} 1")
        .contains(
            "mesh_requests_total{destination_cluster=\"other\",listener=\"other\","
                + "reporter=\"destination\",request_protocol=\"other\",response_code=\"other\","
                + "response_flags=\"other\",route=\"other\"} 1");
    assertThat(metrics.labelSetCount()).isEqualTo(3 + 3);
    assertThat(text).contains("mesh_metric_label_overflow_total 9.0");
  }

  @Test
  void repeatedLabelSetsCountIntoTheirOwnSeriesAndRepeatedFoldsAreEachCounted() {
    ProxyMetrics metrics = new ProxyMetrics(registry, "mesh", Map.of(), 2, 4);
    for (int i = 0; i < 5; i++) {
      // Equal label values in new String instances each time, interleaved with other sets.
      metrics.record(RequestLogs.log(new String("a"), new String("ca"), 200, Set.of()));
      metrics.record(RequestLogs.log("a", "ca", 503, Set.of()));
      metrics.record(
          RequestLogs.log("a", "ca", 200, EnumSet.of(ResponseFlag.UPSTREAM_REQUEST_TIMEOUT)));
    }

    String text = registry.scrape();
    assertThat(text)
        .contains(
            "mesh_requests_total{destination_cluster=\"ca\",listener=\"inbound\","
                + "reporter=\"destination\",request_protocol=\"HTTP/1.1\",response_code=\"200\","
                + "response_flags=\"-\",route=\"a\"} 5")
        .contains(
            "mesh_requests_total{destination_cluster=\"ca\",listener=\"inbound\","
                + "reporter=\"destination\",request_protocol=\"HTTP/1.1\",response_code=\"503\","
                + "response_flags=\"-\",route=\"a\"} 5")
        .contains(
            "mesh_requests_total{destination_cluster=\"other\",listener=\"inbound\","
                + "reporter=\"destination\",request_protocol=\"HTTP/1.1\",response_code=\"200\","
                + "response_flags=\"UT\",route=\"other\"} 5")
        .contains("mesh_metric_label_overflow_total 5.0");
  }

  @Test
  void connectionAndConfigVersionMeters() {
    ProxyMetrics metrics = new ProxyMetrics(registry, "mesh");
    metrics.connectionOpened("inbound");
    metrics.connectionOpened("inbound");
    metrics.connectionOpened("outbound");
    metrics.connectionClosed("inbound");
    metrics.setConfigVersion(42);

    assertThat(registry.scrape())
        .contains("mesh_downstream_connections_active{listener=\"inbound\"} 1")
        .contains("mesh_downstream_connections_active{listener=\"outbound\"} 1")
        .contains("mesh_downstream_connections_total{listener=\"inbound\"} 2")
        .contains("mesh_config_version 42");
  }

  @Test
  void rejectsABadPrefix() {
    assertThatThrownBy(() -> new ProxyMetrics(registry, "mesh-1"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("mesh-1")
        .hasMessageContaining("expected");
  }
}
