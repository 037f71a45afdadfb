package io.plugmesh.pluginruntime;

import io.plugmesh.pluginruntime.jar.PluginDirectory.Stamp;
import java.nio.file.Path;
import java.util.List;

/**
 * What one jar of the plugins directory is to the host: a published plugin version, or failed with
 * a reason. A jar that lost a conflict (superseded, or a filter name taken) is tried again on every
 * reload, as the jar it lost to may be gone.
 *
 * @param source the jar in the plugins directory
 * @param stamp its size and modification time when it was read
 * @param digest its content's digest; empty when it could not be read
 * @param version the plugin version loaded from it, or null when it failed
 * @param info what the host reports about it
 * @param conflict whether it failed by losing a conflict
 */
record JarState(
    Path source,
    Stamp stamp,
    byte[] digest,
    PluginVersion version,
    PluginInfo info,
    boolean conflict) {

  /** A failure reason longer than this is shortened in {@link PluginInfo#error()}. */
  static final int MAX_REASON_CHARS = 500;

  /** A jar whose plugin version was loaded. */
  static JarState loaded(Path source, Stamp stamp, byte[] digest, PluginVersion version) {
    return new JarState(source, stamp, digest, version, version.info(), false);
  }

  /** A jar that could not be loaded. */
  static JarState failed(
      Path source,
      Stamp stamp,
      byte[] digest,
      String id,
      String version,
      String requires,
      String reason,
      List<String> declared) {
    PluginInfo info = failedInfo(id, version, requires, source.toString(), reason, declared);
    return new JarState(source, stamp, digest, null, info, false);
  }

  /** The same jar after its unchanged content was read again under a new stamp. */
  JarState restamped(Stamp newStamp) {
    return new JarState(source, newStamp, digest, version, info, false);
  }

  /** This jar, failed by losing a conflict: its version is not published. */
  JarState lostConflict(String reason) {
    PluginInfo lost =
        failedInfo(info.id(), info.version(), info.requires(), info.path(), reason, info.filters());
    return new JarState(source, stamp, digest, null, lost, true);
  }

  private static PluginInfo failedInfo(
      String id,
      String version,
      String requires,
      String path,
      String reason,
      List<String> filters) {
    return new PluginInfo(
        id, version, requires, path, PluginInfo.State.FAILED, shorten(reason), filters);
  }

  private static String shorten(String reason) {
    return reason.length() <= MAX_REASON_CHARS
        ? reason
        : reason.substring(0, MAX_REASON_CHARS) + "…";
  }
}
