package io.plugmesh.filters.advanced;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a part of the filter API that may still change, or go, in any release, even between patch
 * versions: use it if you need it, and expect to adapt your plugin. Everything not marked keeps
 * binary compatibility within a plugin API version (the build checks it against the last release);
 * marked parts are left out of that check. The mark is removed once a part has settled.
 *
 * <p>Types in {@code .internal} packages are not API at all and carry no mark.
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target({
  ElementType.TYPE,
  ElementType.METHOD,
  ElementType.CONSTRUCTOR,
  ElementType.FIELD,
  ElementType.PACKAGE
})
public @interface Unstable {}
