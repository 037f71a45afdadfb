/**
 * TLS for the data path: server and client {@code SslContext}s built from PEM files with the JDK's
 * TLS through Netty, reloaded when the files change so workload certificates and trust bundles
 * rotate without a restart, and the mesh peer identity ({@code spiffe://} URI SAN) of a verified
 * certificate.
 */
package io.plugmesh.kernel.tls;
