/**
 * Writing the files the mesh keeps: config state, snapshots, keys and certificates, each replaced
 * as a whole. Shared by the proxy and the control service.
 */
package io.plugmesh.config.io;
