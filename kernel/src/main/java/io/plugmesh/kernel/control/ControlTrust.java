package io.plugmesh.kernel.control;

import io.plugmesh.kernel.tls.SpiffeTrustManager;
import java.nio.file.Path;
import java.util.List;

/**
 * Verifies the control API's certificate: it must chain to a root of the bootstrap CA file or of
 * the trust bundle received since (both re-read on every handshake, so root rotation needs no
 * restart), and hold the control service's SPIFFE id; host names are not checked. The checks are
 * {@link SpiffeTrustManager}'s, the same as for a cluster with a server identity.
 */
final class ControlTrust extends SpiffeTrustManager {

  ControlTrust(List<Path> bundles, String expected) {
    super(bundles, expected, "control service");
  }
}
