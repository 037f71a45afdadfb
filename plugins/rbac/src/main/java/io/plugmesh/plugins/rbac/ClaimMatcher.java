package io.plugmesh.plugins.rbac;

import static java.util.Objects.requireNonNull;

import io.plugmesh.filters.advanced.Principal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A condition on one claim of the authenticated principal: the claim must hold at least one of the
 * accepted values. A list claim (such as {@code roles}) holds each element, a space-separated
 * {@code scope} each scope. A dotted name such as {@code realm_access.roles} reaches into nested
 * objects when no claim has that literal name.
 *
 * @param claim the claim name or dotted path
 * @param accepted the accepted values, as text
 */
record ClaimMatcher(String claim, List<String> accepted) {

  /** The deepest dotted path followed. */
  static final int MAX_PATH_SEGMENTS = 8;

  ClaimMatcher {
    requireNonNull(claim, "claim");
    accepted = List.copyOf(accepted);
  }

  /**
   * Whether the principal satisfies the condition.
   *
   * @param principal the principal
   * @return true on a match
   */
  boolean matches(Principal principal) {
    for (String value : values(principal, claim)) {
      if (accepted.contains(value)) {
        return true;
      }
    }
    return false;
  }

  /** A claim's values as text, following a dotted path into nested objects when needed. */
  static List<String> values(Principal principal, String claim) {
    if (principal.claims().containsKey(claim) || claim.indexOf('.') < 0) {
      return principal.claimValues(claim);
    }
    String[] path = claim.split("\\.", MAX_PATH_SEGMENTS + 1);
    Object node = principal.claims();
    for (String segment : path) {
      if (!(node instanceof Map<?, ?> map)) {
        return List.of();
      }
      node = map.get(segment);
    }
    if (node == null || node instanceof Map<?, ?>) {
      return List.of();
    }
    if (node instanceof List<?> list) {
      List<String> out = new ArrayList<>(list.size());
      for (Object element : list) {
        if (!(element instanceof Map<?, ?> || element instanceof List<?>)) {
          out.add(String.valueOf(element));
        }
      }
      return out;
    }
    return List.of(String.valueOf(node));
  }
}
