package io.plugmesh.kernel.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.plugmesh.meshca.CsrRejectedException;
import io.plugmesh.meshca.Keys;
import io.plugmesh.meshca.MeshCa;
import io.plugmesh.meshca.SpiffeId;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class CsrEncoderTest {
  static final SpiffeId ID = SpiffeId.of("mesh.test", "default", "reviews");

  @Test
  void theMeshCaSignsTheRequestForItsIdentityAndKey() throws Exception {
    MeshCa ca = MeshCa.generateRoot("mesh.test", Duration.ofDays(1));
    KeyPair keys = Keys.generate();

    X509Certificate cert = ca.sign(CsrEncoder.pem(keys, ID.uri()), ID, Duration.ofMinutes(5));

    assertThat(cert.getPublicKey()).isEqualTo(keys.getPublic());
    cert.verify(ca.certificate().getPublicKey());
    assertThat(cert.getSubjectAlternativeNames().stream().map(l -> (Object) l.get(1)).toList())
        .containsExactly(ID.uri());
  }

  @Test
  void aRequestForAnotherIdentityIsRefusedByTheCa() {
    MeshCa ca = MeshCa.generateRoot("mesh.test", Duration.ofDays(1));
    String pem =
        CsrEncoder.pem(Keys.generate(), SpiffeId.of("mesh.test", "default", "ratings").uri());

    assertThatThrownBy(() -> ca.sign(pem, ID, Duration.ofMinutes(5)))
        .isInstanceOf(CsrRejectedException.class)
        .hasMessageContaining("ratings");
  }

  @Test
  void aLongUriStillEncodes() throws Exception {
    MeshCa ca = MeshCa.generateRoot("mesh.test", Duration.ofDays(1));
    SpiffeId id = SpiffeId.of("mesh.test", "n".repeat(150), "s".repeat(150));

    X509Certificate cert =
        ca.sign(CsrEncoder.pem(Keys.generate(), id.uri()), id, Duration.ofMinutes(5));

    assertThat(cert.getSubjectAlternativeNames().stream().map(l -> (Object) l.get(1)).toList())
        .containsExactly(id.uri());
  }
}
