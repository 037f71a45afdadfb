package io.plugmesh.control.server.ca;

import static java.util.Objects.requireNonNull;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.plugmesh.control.api.v1.CertificateRequest;
import io.plugmesh.control.api.v1.CertificateResponse;
import io.plugmesh.control.api.v1.CertificatesGrpc;
import io.plugmesh.meshca.CsrRejectedException;
import io.plugmesh.meshca.Pem;
import io.plugmesh.meshca.SpiffeId;
import java.security.cert.X509Certificate;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code Certificates.Sign}: signs a proxy's request for the identity of its join token (set by
 * {@link JoinTokenAuth}); a request for any other identity is refused.
 */
public final class CertificateService extends CertificatesGrpc.CertificatesImplBase {
  private static final Logger log = LoggerFactory.getLogger(CertificateService.class);

  /** The largest CSR accepted, in PEM characters. */
  public static final int MAX_CSR_CHARS = 32 * 1024;

  private final CertificateAuthority ca;

  /**
   * Creates the service.
   *
   * @param ca the authority that signs
   */
  public CertificateService(CertificateAuthority ca) {
    this.ca = requireNonNull(ca, "ca");
  }

  @Override
  public void sign(CertificateRequest request, StreamObserver<CertificateResponse> responses) {
    Identity identity = JoinTokenAuth.IDENTITY.get();
    if (identity == null) {
      responses.onError(
          Status.UNAUTHENTICATED
              .withDescription("no proxy identity (expected: a join token)")
              .asRuntimeException());
      return;
    }
    if (request.getCsrPem().length() > MAX_CSR_CHARS) {
      responses.onError(
          Status.INVALID_ARGUMENT
              .withDescription(
                  "csr_pem: "
                      + request.getCsrPem().length()
                      + " characters (expected: at most "
                      + MAX_CSR_CHARS
                      + ")")
              .asRuntimeException());
      return;
    }
    SpiffeId id = identity.spiffeId(ca.trustDomain());
    X509Certificate cert;
    try {
      cert = ca.sign(request.getCsrPem(), identity);
    } catch (CsrRejectedException e) {
      log.warn("refused a certificate request from {}: {}", id, e.getMessage());
      responses.onError(
          Status.PERMISSION_DENIED
              .withDescription(e.getMessage() + " (this proxy is entitled to " + id + ")")
              .asRuntimeException());
      return;
    } catch (IllegalArgumentException e) {
      responses.onError(
          Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
      return;
    }
    log.debug("signed a certificate for {} until {}", id, cert.getNotAfter().toInstant());
    responses.onNext(
        CertificateResponse.newBuilder()
            .setCertificateChainPem(Pem.certificates(List.of(cert)))
            .setTrustBundlePem(ca.trustBundlePem())
            .setNotAfter(cert.getNotAfter().getTime())
            .setSpiffeId(id.uri())
            .build());
    responses.onCompleted();
  }
}
