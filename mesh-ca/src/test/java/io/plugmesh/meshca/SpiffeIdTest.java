package io.plugmesh.meshca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SpiffeIdTest {
  @Test
  void roundTrips() {
    SpiffeId id = SpiffeId.of("mesh.local", "shop", "reviews");
    assertThat(id.uri()).isEqualTo("spiffe://mesh.local/ns/shop/sa/reviews");
    assertThat(SpiffeId.parse(id.uri())).isEqualTo(id);
    assertThat(id.toUri().getScheme()).isEqualTo("spiffe");
  }

  @Test
  void rejectsOtherShapes() {
    for (String bad :
        new String[] {
          "http://mesh.local/ns/a/sa/b",
          "spiffe://mesh.local/ns/a",
          "spiffe://mesh.local/ns/a/sa/b/extra",
          "spiffe://mesh.local/sa/a/ns/b",
          "spiffe://Mesh.local/ns/a/sa/b",
          "spiffe:///ns/a/sa/b",
          "spiffe://mesh.local/ns//sa/b",
          "spiffe://mesh.local/ns/../sa/b",
          "spiffe://mesh.local/ns/a b/sa/b",
          "spiffe://mesh.local:443/ns/a/sa/b"
        }) {
      assertThatThrownBy(() -> SpiffeId.parse(bad))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("expected");
    }
  }

  @Test
  void namesTheFieldThatIsWrong() {
    assertThatThrownBy(() -> SpiffeId.of("mesh.local", "", "b"))
        .hasMessageContaining("namespace: ''");
    assertThatThrownBy(() -> SpiffeId.of("mesh.local", "a", "b/c"))
        .hasMessageContaining("serviceAccount: 'b/c'");
    assertThatThrownBy(() -> SpiffeId.of("UPPER", "a", "b")).hasMessageContaining("trustDomain");
  }
}
